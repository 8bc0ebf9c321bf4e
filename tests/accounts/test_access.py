"""Every URL, every role: nobody gets in where no policy lets them.

The walk enumerates the URL configuration itself, so a new URL is covered the day it is
added, and one without a policy fails `test_every_url_names_a_policy`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, SlugConverter, StringConverter, UUIDConverter

from pathways.accounts.access import is_api_view, policy_for_match, policy_for_view
from pathways.accounts.models import Role
from pathways.accounts.policies import ADMIN_SITE, PUBLIC

ROLES = [None, *Role.values]  # None is an anonymous visitor


def _walk(
    patterns, prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[tuple[str, URLPattern, tuple[str, ...]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespaces


def _all_patterns():
    return [
        (route, p, ns) for route, p, ns in _walk(get_resolver().url_patterns) if "admin" not in ns
    ]


def _sample(route: str, name: str, samples: dict):
    """The real sample for a kwarg. A dict sample maps route regexes to values; the longest
    regex found in the route wins."""
    value = samples.get(name)
    if isinstance(value, dict):
        keys = [key for key in value if re.search(key, route)]
        value = value[max(keys, key=len)] if keys else None
    return value


def _concrete(route: str, pattern: URLPattern, samples: dict) -> str | None:
    """Turn a route such as services/<uuid:service_id>/ into a URL with sample values."""
    if route.startswith("^") or "(?P" in route:
        return None
    converters = getattr(pattern.pattern, "converters", {})
    url = "/" + route
    for name, converter in converters.items():
        value = _sample(route, name, samples)
        if value is None:  # fallback: nothing real could be built for this kwarg
            if isinstance(converter, UUIDConverter):
                value = uuid.uuid4()
            elif isinstance(converter, IntConverter):
                value = 1
            elif isinstance(converter, SlugConverter | StringConverter):
                value = "leeds"
            else:
                value = "x"
        url = re.sub(r"<(?:\w+:)?" + name + ">", str(value), url)
    return url


def test_every_url_names_a_policy():
    missing = [
        route for route, pattern, _ in _all_patterns() if policy_for_view(pattern.callback) is None
    ]
    assert missing == [], f"URLs with no access policy: {missing}"


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
IMPORT_CSV = b"name,organisation\nImported service,Provider One\n"


REVIEW_ROUTE = r"/(review|send-back|finalise)/$"


def _objects_of(organisation, manager, make_service, name: str) -> dict:
    """A service of `organisation`, a change its manager proposed, and the manager's draft
    self-assessment of it with one rated item carrying an attachment. Review pages (which
    refuse a draft) get a submitted self-assessment of a second service instead."""
    from pathways.directory.curation import service_change_propose
    from pathways.standards import services as standards
    from pathways.standards.models import Checklist, Rating

    service = make_service(name, organisation=organisation)
    change = service_change_propose(
        actor=manager, service=service, data={"description": f"Updated {name}"}
    )
    checklist = Checklist.objects.get(framework__slug="vawdasv", key="commissioning")
    assessment = standards.assessment_start(actor=manager, service=service, checklist=checklist)
    rating = assessment.ratings.order_by("pk").first()
    standards.rating_update(
        actor=manager,
        rating=rating,
        status=Rating.GREEN,
        finding="",
        evidence_sources=["documents"],
    )
    attachment = standards.attachment_add(
        actor=manager, rating=rating, filename="policy.pdf", content=PDF
    )
    reviewed = standards.assessment_start(
        actor=manager,
        service=make_service(f"{name} (reviewed)", organisation=organisation),
        checklist=checklist,
    )
    for item in reviewed.ratings.all():
        standards.rating_update(
            actor=manager,
            rating=item,
            status=Rating.GREEN,
            finding="",
            evidence_sources=["documents"],
        )
    submitted = standards.assessment_submit(actor=manager, assessment=reviewed)
    return {
        "reference": _referral_sent_to(service).reference,
        "service_id": service.id,
        "pk": service.id,
        "id": service.id,
        "change_id": change.id,
        "assessment_id": {"": assessment.id, REVIEW_ROUTE: submitted.id},
        "rating_id": {"": rating.id, REVIEW_ROUTE: submitted.ratings.order_by("pk").first().id},
        "attachment_id": attachment.id,
    }


def _case_objects(*, service, perp_worker, support_worker, commissioner, partner_org) -> dict:
    """A perpetrator case on `service` with a linked support case, a risk event (and the
    alert it delivered to the support worker), a sharing agreement between the service's
    organisation and `partner_org`, and the perpetrator worker's staff record id."""
    from pathways.cases.models import Alert
    from pathways.cases.services.perpetrator import (
        CaseInput,
        perpetrator_case_assign,
        perpetrator_case_open,
    )
    from pathways.cases.services.risk import risk_event_raise
    from pathways.cases.services.sharing import sharing_agreement_save
    from pathways.cases.services.support import support_case_assign, support_case_request

    case = perpetrator_case_open(
        actor=perp_worker,
        service=service,
        data=CaseInput(person_name="Walk Case Person", intervention="Walk programme"),
    )
    perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    support = support_case_request(actor=perp_worker, case=case, victim_name="Walk Partner")
    support_case_assign(actor=support_worker, support_case=support, worker=support_worker)
    event = risk_event_raise(
        actor=perp_worker,
        case=case,
        kind="specific_threat",
        summary="Walk risk event",
        threat_to="victim_survivor",
    )
    agreement = sharing_agreement_save(
        actor=commissioner,
        name=f"Walk agreement {service.organisation.name}",
        parties=[service.organisation, partner_org],
        purpose="Walk purpose",
        lawful_basis="public_task",
        categories=["risk"],
        starts_on=dt.date(2026, 1, 1),
        review_on=dt.date(2030, 1, 1),
        status="active",
    )
    return {
        "case_reference": case.reference,
        "support_reference": support.reference,
        "event_id": event.id,
        "alert_id": Alert.objects.get(risk_event=event, recipient=support_worker).id,
        "agreement_id": agreement.id,
        "staff_user_id": perp_worker.id,
    }


def _referral_sent_to(service):
    """A referral (by the walk's referrer) triaged, matched and sent to `service`."""
    from django.utils import timezone

    from pathways.accounts.models import User
    from pathways.areas.models import Area
    from pathways.referrals.models import ReferralChannel, ReferralRoute
    from pathways.referrals.services.intake import ReferralInput, VictimInput, referral_submit
    from pathways.referrals.services.status import referral_transition

    referrer = User.objects.get(username="user-referrer")
    referral, _ = referral_submit(
        actor=referrer,
        data=ReferralInput(
            route=ReferralRoute.AGENCY,
            channel=ReferralChannel.FORM,
            source="police",
            area_id=Area.objects.get(slug="leeds").id,
            fields={
                "person_name": "Walk Person",
                "lawful_basis": "public_task",
                "consent_status": "given",
            },
            victims=[VictimInput(name="Walk Victim-Survivor")],
        ),
    )
    tier = {"tier": "medium_risk", "computed_tier": "medium_risk"}
    for status, changes in (
        ("triaged", tier),
        ("matched", {}),
        ("sent", {"sent_service": service, "sent_at": timezone.now()}),
    ):
        referral_transition(actor=None, referral=referral, to_status=status, changes=changes)
    return referral


@pytest.fixture
def shared_samples(role_users, reference):
    """Objects that belong to no provider: areas, frameworks, approaches, taxonomies, jobs."""
    from pathways.directory.imports import import_job_create
    from pathways.directory.models import ProvenanceSource, Taxonomy, TaxonomyTerm
    from pathways.evidence.models import Approach
    from pathways.mapping.engine import CountingRule
    from pathways.mapping.services import snapshot_save
    from pathways.standards.models import Framework

    framework = Framework.objects.filter(slug="vawdasv").order_by("-version").first()
    approach = Approach.objects.order_by("slug").first()
    snapshot = snapshot_save(actor=role_users[Role.ANALYST], area_slug="leeds", rule=CountingRule())
    job = import_job_create(
        actor=role_users[Role.COMMISSIONER],
        filename="services.csv",
        fmt="csv",
        content=IMPORT_CSV,
        provenance_source=ProvenanceSource.DESK_REVIEW,
    )
    taxonomy = Taxonomy.objects.order_by("slug").first()
    return {
        "area": "leeds",
        "area_slug": "leeds",
        "slug": {
            "^(api/v1/)?evidence/": approach.slug,
            "^(api/v1/)?standards/": framework.slug,
        },
        "version": framework.version,
        "fmt": {"^mapping/": "json", "^standards/": "pdf"},
        "snapshot_id": snapshot.id,
        "job_id": job.id,
        "taxonomy_id": taxonomy.id,
        "term_id": TaxonomyTerm.objects.filter(taxonomy=taxonomy).order_by("code").first().id,
    }


@pytest.fixture
def samples(make_service, role_users, provider_org, partnership_org, shared_samples):
    """A real object for every URL kwarg, owned by provider_org where ownership applies."""
    own = _objects_of(
        provider_org, role_users[Role.PROVIDER_MANAGER], make_service, "Walked service"
    )
    cases = _case_objects(
        service=make_service("Walked case service", organisation=provider_org),
        perp_worker=role_users[Role.PERPETRATOR_WORKER],
        support_worker=role_users[Role.SUPPORT_WORKER],
        commissioner=role_users[Role.COMMISSIONER],
        partner_org=partnership_org,
    )
    return {**shared_samples, **own, **cases, "organization_id": provider_org.id}


@pytest.fixture
def other_samples(
    make_service, make_user, role_users, other_provider_org, partnership_org, shared_samples
):
    """The same kwargs, but the objects belong to other_provider_org (its own manager's)."""
    other_manager = make_user("other-manager", Role.PROVIDER_MANAGER, other_provider_org)
    other = _objects_of(other_provider_org, other_manager, make_service, "Elsewhere service")
    cases = _case_objects(
        service=make_service("Elsewhere case service", organisation=other_provider_org),
        perp_worker=make_user("other-perp-worker", Role.PERPETRATOR_WORKER, other_provider_org),
        support_worker=make_user("other-support-worker", Role.SUPPORT_WORKER, other_provider_org),
        commissioner=role_users[Role.COMMISSIONER],
        partner_org=partnership_org,
    )
    return {**shared_samples, **other, **cases, "organization_id": other_provider_org.id}


def test_every_url_kwarg_has_a_real_sample(samples):
    missing = sorted(
        {
            f"{name} in {route}"
            for route, pattern, _ in _all_patterns()
            for name in getattr(pattern.pattern, "converters", {})
            if _sample(route, name, samples) is None
        }
    )
    assert missing == [], f"URL kwargs walked with a made-up value: {missing}"


@pytest.mark.django_db
def test_every_url_with_every_role_obeys_its_policy(client, role_users, samples):
    failures = []
    for route, pattern, _ in _all_patterns():
        url = _concrete(route, pattern, samples)
        if url is None:
            continue
        match = resolve(url.split("?")[0])
        policy = policy_for_match(match)
        for role in ROLES:
            user = role_users[role] if role else None
            client.logout()
            if user is not None:
                client.force_login(user)
            response = client.get(url)
            allowed = policy.allows(user) if user is not None else policy.allows(_anonymous())
            status = response.status_code
            if status >= 500:
                failures.append(f"{url} as {role}: server error {status}")
            elif not allowed and status not in (302, 401, 403, 404):
                failures.append(f"{url} as {role}: policy {policy.name} denies but got {status}")
            elif not allowed and status == 302 and user is not None:
                failures.append(f"{url} as {role}: denied user redirected instead of 403")
            elif allowed and status in (401, 403):
                failures.append(f"{url} as {role}: policy {policy.name} allows but got {status}")
            if not allowed and status == 302:
                assert "/accounts/sign-in/" in response["Location"], url
            if is_api_view(match.func) and status >= 400:
                assert response["Content-Type"].startswith("application/json"), url
                assert "error" in response.json(), url
    assert failures == [], "\n".join(failures)


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


@pytest.mark.django_db
def test_admin_site_is_only_for_administrators(client, role_users):
    for role in ROLES:
        client.logout()
        user = role_users[role] if role else None
        if user is not None:
            client.force_login(user)
        response = client.get("/admin/")
        if role == Role.ADMIN:
            assert response.status_code == 200
        else:
            assert response.status_code == 302
            assert "/admin/login/" in response["Location"]
    assert ADMIN_SITE.allows(role_users[Role.ADMIN])
    assert not ADMIN_SITE.allows(role_users[Role.COMMISSIONER])


@pytest.mark.django_db
def test_view_without_policy_is_refused(client, role_users, settings):
    """Deny by default: a view that forgets its policy is closed to everyone, even admins."""
    settings.ROOT_URLCONF = "tests.accounts.urls_without_policy"
    client.force_login(role_users[Role.ADMIN])
    assert client.get("/open/").status_code == 403
    client.logout()
    assert client.get("/open/").status_code == 403


OWNED_KWARGS = {
    "service_id",
    "pk",
    "id",
    "change_id",
    "assessment_id",
    "rating_id",
    "attachment_id",
    "organization_id",
    "reference",
    "case_reference",
    "support_reference",
    "event_id",
    "alert_id",
    "agreement_id",
    "staff_user_id",
}
PROVIDER_ROLES = [Role.PROVIDER_MANAGER, Role.PERPETRATOR_WORKER, Role.SUPPORT_WORKER]
# Signed-in reads of a record that is public anyway: for anyone but a directory editor the
# API answers with the public service (the same one /services/<id>/ shows to everybody).
PUBLIC_RECORD_ROUTES = {"api/v1/services/<str:service_id>/"}


@pytest.mark.django_db
def test_provider_staff_never_see_another_organisations_objects(client, role_users, other_samples):
    """provider_org's staff ask for other_provider_org's service, change, assessment, rating
    and attachment: a 404 (or a 403 where the policy refuses them the page altogether).
    Action URLs that only take POST are tried with an empty POST."""
    assert client.get(f"/services/{other_samples['service_id']}/").status_code == 200
    failures = []
    for route, pattern, _ in _all_patterns():
        if not OWNED_KWARGS & set(getattr(pattern.pattern, "converters", {})):
            continue
        url = _concrete(route, pattern, other_samples)
        if url is None:
            continue
        policy = policy_for_match(resolve(url.split("?")[0]))
        if policy is PUBLIC or route in PUBLIC_RECORD_ROUTES:
            continue
        for role in PROVIDER_ROLES:
            user = role_users[role]
            client.logout()
            client.force_login(user)
            status = client.get(url).status_code
            if status == 405:
                status = client.post(url).status_code
            expected = (404,) if policy.allows(user) else (403, 404)
            if status not in expected:
                failures.append(f"{url} as {role} ({policy.name}): got {status}")
    assert failures == [], "\n".join(failures)
