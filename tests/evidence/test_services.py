"""Writes: who may link a service to an approach, ratings kept on their source's scale, loading."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.evidence import services
from pathways.evidence.models import Approach, Rating, ServiceApproach, Source
from pathways.evidence.reference import (
    evidence_link_demo_services,
    evidence_load_reference,
    library_payload,
)
from pathways.evidence.scales import Scale


def _events(object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type).order_by("sequence"))


@pytest.fixture
def drive(reference):
    return Approach.objects.get(slug="drive")


# --- Linking a service to an approach --------------------------------------------------------


@pytest.mark.django_db
def test_provider_manager_links_own_service_and_it_is_audited(role_users, make_service, drive):
    service = make_service("Our programme")
    manager = role_users[Role.PROVIDER_MANAGER]
    link = services.service_approach_set(
        actor=manager, service=service, approach=drive, note="Uses the Drive model"
    )
    assert link.approach == drive and link.set_by == manager and link.set_at is not None
    event = _events("evidence.service_approach")[-1]
    assert event.actor == manager
    assert event.object_id == str(service.pk)
    assert event.detail["to"] == "drive" and event.detail["from"] is None


@pytest.mark.django_db
def test_provider_manager_cannot_link_another_organisations_service(
    role_users, make_service, other_provider_org, drive
):
    service = make_service("Someone else's", organisation=other_provider_org)
    with pytest.raises(PermissionDenied):
        services.service_approach_set(
            actor=role_users[Role.PROVIDER_MANAGER], service=service, approach=drive
        )
    assert not ServiceApproach.objects.exists()
    assert not _events("evidence.service_approach")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.ANALYST, Role.REFERRER, Role.PERPETRATOR_WORKER, Role.SUPPORT_WORKER]
)
def test_other_roles_cannot_link_services(role, role_users, make_service, drive):
    with pytest.raises(PermissionDenied):
        services.service_approach_set(
            actor=role_users[role], service=make_service("Any"), approach=drive
        )


@pytest.mark.django_db
def test_commissioner_links_any_service_changes_and_clears_it(
    role_users, make_service, other_provider_org, drive
):
    service = make_service("Elsewhere", organisation=other_provider_org)
    commissioner = role_users[Role.COMMISSIONER]
    cara = Approach.objects.get(slug="cara")
    services.service_approach_set(actor=commissioner, service=service, approach=drive)
    services.service_approach_set(actor=commissioner, service=service, approach=cara)
    assert ServiceApproach.objects.get(service=service).approach == cara
    assert services.service_approach_set(actor=commissioner, service=service, approach=None) is None
    assert not ServiceApproach.objects.filter(service=service).exists()
    actions = [
        (e.action, e.detail["from"], e.detail["to"]) for e in _events("evidence.service_approach")
    ]
    assert actions == [
        ("update", None, "drive"),
        ("update", "drive", "cara"),
        ("delete", "cara", None),
    ]


@pytest.mark.django_db
def test_setting_the_same_approach_again_writes_nothing(role_users, make_service, drive):
    service = make_service("Same")
    commissioner = role_users[Role.COMMISSIONER]
    services.service_approach_set(actor=commissioner, service=service, approach=drive)
    services.service_approach_set(actor=commissioner, service=service, approach=drive)
    services.service_approach_set(actor=commissioner, service=make_service("Other"), approach=None)
    assert len(_events("evidence.service_approach")) == 1


@pytest.mark.django_db
def test_a_note_that_is_too_long_is_refused(role_users, make_service, drive):
    with pytest.raises(ValidationError) as exc:
        services.service_approach_set(
            actor=role_users[Role.COMMISSIONER],
            service=make_service("Long"),
            approach=drive,
            note="x" * 1001,
        )
    assert "note" in exc.value.message_dict
    assert not ServiceApproach.objects.exists()


# --- Library writes ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_administrators_change_the_library(role_users, make_source, make_approach):
    source = make_source()
    approach = make_approach()
    for role in (Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.ANALYST):
        with pytest.raises(PermissionDenied):
            services.approach_create(actor=role_users[role], slug="x", data={"name": "X"})
        with pytest.raises(PermissionDenied):
            services.rating_set(
                actor=role_users[role],
                approach=approach,
                source=source,
                name_as_published="X",
                data={"rating": "good"},
            )
    admin = role_users[Role.ADMIN]
    created = services.approach_create(actor=admin, slug="new-approach", data={"name": "New"})
    services.approach_update(actor=admin, approach=created, data={"description": "Changed"})
    services.rating_set(
        actor=admin,
        approach=created,
        source=source,
        name_as_published="New",
        data={"rating": "good"},
    )
    assert [e.action for e in _events("evidence.approach") if e.object_id == "new-approach"] == [
        "create",
        "update",
    ]
    assert _events("evidence.rating")[-1].actor == admin


@pytest.mark.django_db
def test_a_rating_must_use_its_sources_own_labels(make_source, make_approach, rate):
    three = make_source(scale=Scale.THREE_POINT)
    crest = make_source(scale=Scale.QUALITY_AND_IMPACT)
    approach = make_approach()
    with pytest.raises(ValidationError) as exc:
        rate(approach, three, rating="high")
    assert "rating" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        rate(approach, three, rating="good", impact_rating="high")
    assert "impact_rating" in exc.value.message_dict
    with pytest.raises(ValidationError):
        rate(approach, crest, evidence_rating="good")
    with pytest.raises(ValidationError):
        rate(approach, crest, rating="good")
    with pytest.raises(ValidationError):
        rate(approach, three, rating="good", studies=[0])
    with pytest.raises(ValidationError):
        rate(approach, three, rating="good", studies="6")
    assert not Rating.objects.exists()
    rate(approach, crest, evidence_rating="low", impact_rating="medium")
    rate(approach, three, rating="some_or_mixed", studies=[38, 23, 8])
    assert Rating.objects.count() == 2


@pytest.mark.django_db
def test_rating_again_replaces_the_sources_one_rating(make_source, make_approach, rate):
    source, approach = make_source(), make_approach()
    rate(approach, source, rating="good")
    rate(approach, source, rating="poor_or_negative")
    assert list(Rating.objects.values_list("rating", flat=True)) == ["poor_or_negative"]


@pytest.mark.django_db
def test_duplicate_approach_slug_is_refused(make_approach):
    make_approach("same")
    with pytest.raises(ValidationError):
        make_approach("same")


# --- Loading -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_loading_the_library_twice_writes_nothing_the_second_time(reference):
    counts = (Source.objects.count(), Approach.objects.count(), Rating.objects.count())
    assert counts == (7, 41, 51)
    events = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        result = evidence_load_reference()
    assert result.changed == 0
    assert AuditEvent.objects.count() == events
    assert all(
        q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE")) for q in queries
    )


@pytest.mark.django_db
def test_the_first_load_is_one_audit_event(db):
    evidence_load_reference()
    (event,) = _events("evidence.library")
    assert event.action == "import"
    assert event.detail == {"sources": 7, "approaches": 41, "ratings": 51}


@pytest.mark.django_db
def test_a_bad_fixture_changes_nothing(db):
    payload = copy.deepcopy(library_payload())
    payload["ratings"][-1]["impact_rating"] = "excellent"
    with pytest.raises(ValidationError):
        services.library_load(payload=payload)
    assert not Approach.objects.exists() and not Source.objects.exists()


@pytest.mark.django_db
def test_a_corrected_fixture_refreshes_the_stored_rating(reference):
    payload = copy.deepcopy(library_payload())
    row = next(r for r in payload["ratings"] if r["name_as_published"] == "Drive")
    row["note"] = "Corrected note."
    result = services.library_load(payload=payload)
    assert result.ratings == 1
    assert Rating.objects.get(name_as_published="Drive").note == "Corrected note."


@pytest.mark.django_db
def test_demo_links_never_overwrite_a_persons_choice(reference, make_service, role_users):
    from pathways.directory.models import Service

    drive_service = make_service("Drive (Cardiff)")
    Service.objects.filter(pk=drive_service.pk).update(external_ref="cv-drive")
    cara_service = make_service("CARA")
    Service.objects.filter(pk=cara_service.pk).update(external_ref="wy-2023-24")
    services.service_approach_set(
        actor=role_users[Role.COMMISSIONER],
        service=drive_service,
        approach=Approach.objects.get(slug="perpetrator-programmes"),
    )
    assert evidence_link_demo_services() == 1
    assert evidence_link_demo_services() == 0
    assert (
        ServiceApproach.objects.get(service=drive_service).approach.slug == "perpetrator-programmes"
    )
    assert ServiceApproach.objects.get(service=cara_service).approach.slug == "cara"


@pytest.mark.django_db
def test_demo_data_links_published_services_by_name_and_is_idempotent(settings):
    from pathways.core.demo import load_demo

    settings.DEMO_PASSWORD = "demo-password-for-tests"
    load_demo(synthetic_services=0, users=False)
    links = dict(ServiceApproach.objects.values_list("service__external_ref", "approach__slug"))
    assert links["cv-drive"] == "drive"
    assert links["wy-2023-24"] == "cara"
    assert links["cv-circles-cymru"] == "circles-of-support-and-accountability"
    assert links["wy-2023-13"] == "perpetrator-programmes"
    assert len(links) == 9
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    load_demo(synthetic_services=0, users=False)
    assert ServiceApproach.objects.count() == 9
    assert not AuditEvent.objects.filter(
        sequence__gt=last, object_type__startswith="evidence."
    ).exists()
