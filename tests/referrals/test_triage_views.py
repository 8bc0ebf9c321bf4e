"""The front door's pages: the queue (filters, sorting, paging, overdue, a constant number of
queries), a referral's details (audited), triage with the policy in force, matching,
sending with a confirmation, signposting, no suitable service and withdrawing. Bad input
gets a GOV.UK error summary and changes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.areas.models import Area
from pathways.audit.models import AuditEvent
from pathways.referrals.models import Child, Referral, ReferralStatus, UnmetNeed
from pathways.referrals.reference import RiskTier
from pathways.referrals.services.matching import referral_match
from pathways.referrals.services.status import referral_transition
from pathways.referrals.services.triage import (
    referral_send,
    referral_triage,
    risk_policy_load,
)
from pathways.referrals.views import triage as triage_views

from .test_triage_services import small_definition

LIST = "/referrals/front-door/"


def url(referral, action: str = "") -> str:
    return f"/referrals/front-door/{referral.reference}/" + (f"{action}/" if action else "")


def html_of(response) -> str:
    return response.content.decode()


def error_summary(response) -> list[str]:
    """The messages in the page's GOV.UK error summary."""
    html = html_of(response)
    assert 'class="govuk-error-summary"' in html
    body = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    return [m.strip() for m in re.findall(r"<a href=\"[^\"]*\">(.*?)</a>", body, re.S)]


def references_in(response) -> list[str]:
    return re.findall(r'data-reference="([A-Z0-9-]+)"', html_of(response))


@pytest.fixture
def policy(reference):
    return risk_policy_load(
        actor=None,
        area=Area.objects.get(slug="west-yorkshire-police"),
        name="Test policy",
        definition=small_definition(
            questions=[
                {
                    "code": "threats",
                    "text": "Threats to kill",
                    "weight": 5,
                    "help": "Count threats made through other people too",
                },
                {"code": "choking", "text": "Strangulation or choking", "weight": 5},
                {"code": "escalation", "text": "Abuse is escalating", "weight": 3},
            ]
        ),
    )


@pytest.fixture
def triage_user(role_users):
    return role_users[Role.TRIAGE]


@pytest.fixture
def worker(client_for, triage_user):
    return client_for(triage_user)


@pytest.fixture
def eligible_service(make_service):
    def make(name: str = "Change Project", **data):
        claims = {d: {"value": "yes"} for d in ("risk_standard", "risk_medium", "risk_high")}
        data.setdefault("integrated_victim_support", "own")
        return make_service(name, claims=claims, **data)

    return make


@pytest.fixture
def aged(make_referral):
    """A referral received `days` ago (status unchanged since then)."""

    def make(*, days: int = 0, **fields):
        referral = make_referral(**fields)
        then = timezone.now() - dt.timedelta(days=days)
        Referral.objects.filter(pk=referral.pk).update(created_at=then, status_changed_at=then)
        referral.refresh_from_db()
        return referral

    return make


@pytest.fixture
def triaged(make_referral, policy, triage_user):
    referral = make_referral()
    referral_triage(actor=triage_user, referral=referral, answers={"threats": True})
    return referral


# --- The queue -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.REFERRER, Role.PROVIDER_MANAGER, Role.COMMISSIONER, Role.SUPPORT_WORKER]
)
def test_front_door_pages_are_refused_to_everyone_else(client_for, role_users, triaged, role):
    client = client_for(role_users[role])
    for address in (LIST, url(triaged), url(triaged, "triage"), url(triaged, "match")):
        assert client.get(address).status_code == 403
    assert client.post(url(triaged, "withdraw"), {"reason": "x"}).status_code == 403
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.TRIAGED


@pytest.mark.django_db
def test_queue_shows_open_referrals_longest_waiting_first_and_hides_closed_ones(
    aged, worker, triage_user
):
    newer = aged(days=1)
    older = aged(days=3)
    closed = aged(days=5)
    referral_transition(actor=triage_user, referral=closed, to_status=ReferralStatus.WITHDRAWN)
    response = worker.get(LIST)
    assert response.status_code == 200
    assert references_in(response) == [older.reference, newer.reference]
    assert closed.reference in references_in(worker.get(LIST, {"status": "all"}))
    assert references_in(worker.get(LIST, {"status": "withdrawn"})) == [closed.reference]


@pytest.mark.django_db
def test_queue_keeps_identifiable_details_off_the_list(make_referral, worker):
    make_referral(person_name="Robin Synthetic")
    assert "Robin Synthetic" not in html_of(worker.get(LIST))


@pytest.mark.django_db
def test_queue_filters_by_area_including_the_districts_of_a_wider_area(aged, worker):
    leeds = aged(area="leeds")
    bradford = aged(area="bradford")
    cardiff = aged(area="cardiff")
    assert references_in(worker.get(LIST, {"area": "leeds"})) == [leeds.reference]
    wider = set(references_in(worker.get(LIST, {"area": "west-yorkshire"})))
    assert wider == {leeds.reference, bradford.reference}
    assert cardiff.reference not in wider


@pytest.mark.django_db
def test_queue_filters_by_tier_and_sorts_highest_risk_first(aged, policy, triage_user, worker):
    untriaged = aged(days=4)
    medium = aged(days=3)
    high = aged(days=2)
    referral_triage(actor=triage_user, referral=medium, answers={"threats": True})
    referral_triage(actor=triage_user, referral=high, answers={"threats": True, "choking": True})
    assert references_in(worker.get(LIST, {"tier": RiskTier.HIGH})) == [high.reference]
    assert references_in(worker.get(LIST, {"tier": "none"})) == [untriaged.reference]
    assert references_in(worker.get(LIST, {"sort": "tier"})) == [
        high.reference,
        medium.reference,
        untriaged.reference,
    ]
    assert references_in(worker.get(LIST, {"sort": "newest"}))[0] == high.reference


@pytest.mark.django_db
def test_queue_tags_overdue_referrals_and_can_show_only_those(aged, worker, settings):
    settings.REFERRAL_TRIAGE_DUE_DAYS = 2
    late = aged(days=5)
    on_time = aged(days=1)
    response = worker.get(LIST)
    row = html_of(response).split(f'data-reference="{late.reference}"', 1)[1].split("</tr>")[0]
    assert "Overdue" in row
    on_time_row = html_of(response).split(f'data-reference="{on_time.reference}"', 1)[1]
    assert "Overdue" not in on_time_row.split("</tr>")[0]
    assert references_in(worker.get(LIST, {"overdue": "on"})) == [late.reference]
    assert references_in(worker.get(LIST, {"sort": "overdue", "status": "all"}))[0] == (
        late.reference
    )


@pytest.mark.django_db
def test_queue_pages_with_govuk_pagination(aged, worker, monkeypatch):
    monkeypatch.setattr(triage_views, "PAGE_SIZE", 2)
    made = [aged(days=d) for d in (5, 4, 3)]
    first = worker.get(LIST)
    assert references_in(first) == [made[0].reference, made[1].reference]
    assert 'class="govuk-pagination' in html_of(first)
    assert references_in(worker.get(LIST, {"page": 2})) == [made[2].reference]


@pytest.mark.django_db
def test_queue_says_when_nothing_is_waiting_and_when_filters_match_nothing(aged, worker):
    assert "Nothing is waiting for the front door" in html_of(worker.get(LIST))
    aged(area="leeds")
    assert "No referrals match these filters" in html_of(worker.get(LIST, {"area": "cardiff"}))


@pytest.mark.django_db
def test_a_bad_filter_value_falls_back_to_the_queue_not_an_error(aged, worker):
    referral = aged()
    response = worker.get(LIST, {"status": "nonsense", "sort": "sideways", "page": "x"})
    assert response.status_code == 200
    assert references_in(response) == [referral.reference]


@pytest.mark.django_db
def test_queue_query_count_does_not_grow_with_referrals(
    aged, policy, triage_user, worker, eligible_service
):
    service = eligible_service()

    def one_of_each():
        aged(days=1)
        triaged = aged(days=2)
        referral_triage(actor=triage_user, referral=triaged, answers={"threats": True})
        sent = aged(days=3)
        referral_triage(actor=triage_user, referral=sent, answers={})
        referral_match(actor=triage_user, referral=sent)
        sent.refresh_from_db()
        referral_send(actor=triage_user, referral=sent, service=service)

    one_of_each()
    worker.get(LIST, {"status": "all"})  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as one:
        assert worker.get(LIST, {"status": "all"}).status_code == 200
    one_of_each()
    one_of_each()
    with CaptureQueriesContext(connection) as three:
        response = worker.get(LIST, {"status": "all"})
    assert len(references_in(response)) == 9
    assert len(three) == len(one)


# --- Detail ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_shows_everything_submitted_and_is_audited(make_referral, worker, triage_user):
    referral = make_referral(person_name="Robin Synthetic", safe_word="bluebell")
    Child.objects.create(referral=referral, age=6, notes="Attends the local primary school")
    response = worker.get(url(referral))
    html = html_of(response)
    assert response.status_code == 200
    for text in ("Robin Synthetic", "bluebell", "Alex Example", "Attends the local primary"):
        assert text in html
    assert "Status history" in html
    event = AuditEvent.objects.get(action="referral.viewed")
    assert (event.object_id, event.actor_id) == (referral.reference, triage_user.pk)
    assert event.detail["audience"] == "triage"


@pytest.mark.django_db
def test_detail_of_an_unknown_reference_is_not_found(worker, reference):
    assert worker.get("/referrals/front-door/NOPE1234/").status_code == 404
    assert not AuditEvent.objects.filter(action="referral.viewed").exists()


@pytest.mark.django_db
def test_detail_shows_the_tier_with_its_explanation(triaged, worker):
    html = html_of(worker.get(url(triaged)))
    assert "Yes: Threats to kill (+5)" in html
    assert "Computed tier: medium risk" in html


# --- Triage ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_triage_page_asks_the_policys_questions_with_their_help(make_referral, policy, worker):
    html = html_of(worker.get(url(make_referral(), "triage")))
    assert "Threats to kill" in html and "Count threats made through other people too" in html
    assert 'name="answer_choking"' in html
    assert "Test policy (version 1)" in html


@pytest.mark.django_db
def test_triage_page_ticks_what_the_referrer_ticked(make_referral, policy, worker):
    referral = make_referral(risk_indicators=["choking"])
    html = html_of(worker.get(url(referral, "triage")))
    assert re.search(r'name="answer_choking"[^>]*checked', html)
    assert not re.search(r'name="answer_threats"[^>]*checked', html)


@pytest.mark.django_db
def test_saving_triage_shows_the_computed_tier_and_why(make_referral, policy, worker):
    referral = make_referral()
    response = worker.post(
        url(referral, "triage"), {"answer_threats": "on", "answer_escalation": "on"}, follow=True
    )
    html = html_of(response)
    assert "is triaged as medium risk" in html
    assert "Yes: Threats to kill (+5)" in html
    assert "Yes: Abuse is escalating (+3)" in html
    assert "at or above the medium-risk threshold of 4" in html
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.tier) == (ReferralStatus.TRIAGED, RiskTier.MEDIUM)


@pytest.mark.django_db
def test_an_override_without_a_reason_shows_the_error_summary_and_saves_nothing(
    make_referral, policy, worker
):
    referral = make_referral()
    response = worker.post(
        url(referral, "triage"), {"answer_threats": "on", "tier_override": RiskTier.HIGH}
    )
    assert response.status_code == 400
    assert error_summary(response) == [
        "Enter why you are changing the tier from medium risk to high risk"
    ]
    assert 'id="id_override_reason-error"' in html_of(response)
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.tier) == (ReferralStatus.RECEIVED, "")


@pytest.mark.django_db
def test_an_override_with_a_reason_is_saved_and_shown(make_referral, policy, worker):
    referral = make_referral()
    response = worker.post(
        url(referral, "triage"),
        {
            "answer_threats": "on",
            "tier_override": RiskTier.HIGH,
            "override_reason": "New intelligence from the police this morning",
        },
        follow=True,
    )
    html = html_of(response)
    assert "is triaged as high risk" in html
    assert "New intelligence from the police this morning" in html
    assert "(changed by the front door)" in html


@pytest.mark.django_db
@pytest.mark.parametrize("score", ["101", "-3", "sixty"])
def test_a_bad_rfg_score_gets_the_error_summary(make_referral, policy, worker, score):
    referral = make_referral()
    response = worker.post(url(referral, "triage"), {"rfg_score": score})
    assert response.status_code == 400
    assert error_summary(response) == ["RFG score must be a whole number from 0 to 100"]
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_triage_without_a_policy_says_so_and_refuses_to_save(make_referral, worker):
    referral = make_referral()
    assert "No risk policy is in force for Leeds" in html_of(worker.get(url(referral, "triage")))
    response = worker.post(url(referral, "triage"), {"answer_threats": "on"})
    assert response.status_code == 400
    assert error_summary(response)[0].startswith("No risk policy is in force for Leeds")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_an_answer_the_policy_does_not_ask_is_ignored_by_the_form(make_referral, policy, worker):
    """Only the policy's questions are fields; a made-up one posted by hand is not an answer."""
    referral = make_referral()
    worker.post(url(referral, "triage"), {"answer_made_up": "on"})
    stored = Referral.objects.get(pk=referral.pk)
    assert "made_up" not in stored.risk_answers
    assert stored.tier == RiskTier.STANDARD


# --- Match and send --------------------------------------------------------------------------


@pytest.mark.django_db
def test_match_page_lists_eligible_services_in_rank_order_and_excluded_ones_by_rule(
    triaged, worker, eligible_service, make_service
):
    eligible_service("Zebra Programme", capacity_status="closed")
    eligible_service("Alpha Project", accreditation="Respect accredited")
    eligible_service("Beta Project")
    make_service("No tier claim")
    eligible_service("Cardiff Only", areas=("cardiff",))
    eligible_service("Somewhere Else", areas=("leicester",))
    assert "Matching has not been run" in html_of(worker.get(url(triaged, "match")))
    response = worker.post(url(triaged, "match"), follow=True)
    html = html_of(response)
    assert html.index("1. Alpha Project") < html.index("2. Beta Project")
    assert "Accredited: Respect accredited" in html
    assert html.count("?service=") == 2
    assert "The service is closed to referrals" in html
    assert "Zebra Programme" in html and "Closed to referrals" in html
    assert "No tier claim" in html
    assert "2 services elsewhere do not serve Leeds." in html
    assert "Cardiff Only" not in html
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.MATCHED


@pytest.mark.django_db
def test_when_nothing_fits_the_match_page_says_unmet_need_was_recorded(triaged, worker):
    html = html_of(worker.post(url(triaged, "match"), follow=True))
    assert "An unmet need has been recorded" in html
    assert url(triaged, "no-suitable-service") in html
    assert url(triaged, "signpost") in html
    assert UnmetNeed.objects.filter(referral=triaged).count() == 1


@pytest.mark.django_db
def test_match_is_refused_for_a_referral_not_yet_triaged(make_referral, policy, worker):
    referral = make_referral()
    response = worker.post(url(referral, "match"))
    assert response.status_code == 400
    assert error_summary(response)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_send_asks_for_confirmation_before_sending(triaged, worker, eligible_service):
    service = eligible_service()
    worker.post(url(triaged, "match"))
    response = worker.get(url(triaged, "send"), {"service": str(service.pk)})
    assert response.status_code == 200
    assert "Send this referral to Change Project?" in html_of(response)
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.MATCHED
    done = worker.post(url(triaged, "send"), {"service": str(service.pk)}, follow=True)
    assert "has been sent to Change Project" in html_of(done)
    stored = Referral.objects.get(pk=triaged.pk)
    assert (stored.status, stored.sent_service_id) == (ReferralStatus.SENT, service.pk)


@pytest.mark.django_db
def test_send_to_a_service_that_was_not_eligible_is_refused_with_the_error_summary(
    triaged, worker, eligible_service, make_service
):
    eligible_service()
    excluded = make_service("Not eligible")
    worker.post(url(triaged, "match"))
    response = worker.post(url(triaged, "send"), {"service": str(excluded.pk)})
    assert response.status_code == 400
    assert error_summary(response) == ["Select a service that was eligible in the latest match"]
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.MATCHED


@pytest.mark.django_db
def test_send_without_choosing_a_service_gets_the_error_summary(triaged, worker, eligible_service):
    eligible_service()
    worker.post(url(triaged, "match"))
    response = worker.post(url(triaged, "send"), {})
    assert error_summary(response) == ["Select a service to send the referral to"]


@pytest.mark.django_db
def test_send_page_for_a_referral_not_matched_says_it_cannot_be_sent(triaged, worker):
    response = worker.get(url(triaged, "send"))
    assert "This referral cannot be sent" in html_of(response)
    assert worker.post(url(triaged, "send"), {"service": "x"}).status_code == 400
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.TRIAGED


# --- Signpost, no suitable service, withdraw ---------------------------------------------------


@pytest.mark.django_db
def test_signposting_needs_a_note_then_closes_the_referral(triaged, worker):
    response = worker.post(url(triaged, "signpost"), {"note": "  "})
    assert response.status_code == 400
    assert error_summary(response) == ["Enter where you signposted the person"]
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.TRIAGED
    worker.post(url(triaged, "signpost"), {"note": "National helpline"})
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.SIGNPOSTED


@pytest.mark.django_db
def test_no_suitable_service_records_unmet_need_from_the_page(triaged, worker):
    response = worker.post(url(triaged, "no-suitable-service"), {"reason": ""})
    assert error_summary(response) == ["Enter why no service is suitable"]
    worker.post(url(triaged, "no-suitable-service"), {"reason": "Nothing for this language"})
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.NO_SUITABLE_SERVICE
    assert UnmetNeed.objects.filter(referral=triaged).exists()


@pytest.mark.django_db
def test_no_suitable_service_is_not_offered_before_triage(make_referral, worker):
    referral = make_referral()
    assert "Triage this referral first" in html_of(worker.get(url(referral, "no-suitable-service")))
    assert url(referral, "no-suitable-service") not in html_of(worker.get(url(referral)))


@pytest.mark.django_db
def test_withdraw_confirms_first_and_needs_a_reason(triaged, worker):
    page = html_of(worker.get(url(triaged, "withdraw")))
    assert "Are you sure you want to withdraw referral" in page
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.TRIAGED
    response = worker.post(url(triaged, "withdraw"), {})
    assert error_summary(response) == ["Enter why you are withdrawing this referral"]
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.TRIAGED
    done = worker.post(url(triaged, "withdraw"), {"reason": "Duplicate referral"}, follow=True)
    assert "has been withdrawn" in html_of(done)
    assert Referral.objects.get(pk=triaged.pk).status == ReferralStatus.WITHDRAWN


@pytest.mark.django_db
def test_a_closed_referral_offers_no_actions(triaged, worker, triage_user):
    referral_transition(actor=triage_user, referral=triaged, to_status=ReferralStatus.WITHDRAWN)
    html = html_of(worker.get(url(triaged)))
    for action in ("triage", "match", "signpost", "no-suitable-service", "withdraw"):
        assert url(triaged, action) not in html
    assert "can no longer be withdrawn" in html_of(worker.get(url(triaged, "withdraw")))
    assert worker.post(url(triaged, "withdraw"), {"reason": "Again"}).status_code == 400
