"""The agency referral form: one referral per form page, victim-survivors and children added
without JavaScript, and the service's rules shown on the fields they are about."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from pathways.accounts.models import Role
from pathways.areas.models import Area
from pathways.referrals.forms_intake import CONSENT_REASON_REQUIRED, form_token_issue
from pathways.referrals.models import Referral, ReferralChannel, ReferralRoute
from pathways.referrals.services.intake import ReferralInput, referral_submit

pytestmark = pytest.mark.django_db

URL = "/referrals/new/"


@pytest.fixture
def referrer(role_users):
    return role_users[Role.REFERRER]


@pytest.fixture
def signed_in(client, reference, referrer):
    client.force_login(referrer)
    return client


def _token(client) -> str:
    html = client.get(URL).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def _answers(token: str, *, victims: int = 1, children: int = 1, **changes) -> dict:
    data = {
        "form_token": token,
        "person_name": "Sam Example",
        "person_date_of_birth": "27 3 1985",
        "person_age": "",
        "person_gender": "man",
        "area": "leeds",
        "person_postcode": "ls1 4ap",
        "contact_phone": "07700 900456",
        "contact_email": "",
        "victims_known": "yes",
        "relationship": "current_partner",
        "abuse_types": ["DA", "stalking"],
        "risk_known": "Threats after separation last month.",
        "marac_heard": "no",
        "needs": ["substance_use"],
        "cohorts": ["young_adults"],
        "language": "en",
        "accessibility_needs": "",
        "source": "police",
        "lawful_basis": "public_task",
        "consent_status": "given",
        "consent_reason": "",
        "victims-TOTAL_FORMS": str(victims),
        "victims-INITIAL_FORMS": "0",
        "victims-MIN_NUM_FORMS": "0",
        "victims-MAX_NUM_FORMS": "20",
        "children-TOTAL_FORMS": str(children),
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "30",
    }
    if victims:
        data.update(
            {
                "victims-0-name": "Alex Example",
                "victims-0-relationship": "current_partner",
                "victims-0-lives_with_person": "no",
                "victims-0-knows_of_referral": "no",
                "victims-0-contact_phone": "07700 900789",
                "victims-0-contact_email": "",
                "victims-0-safe_times": "Tuesdays 10 to 12",
                "victims-0-voicemail_safe": "no",
                "victims-0-contact_notes": "Use her sister's number if no answer.",
            }
        )
    if children:
        data.update(
            {
                "children-0-age": "6",
                "children-0-lives_with_person": "no",
                "children-0-social_care_involved": "yes",
            }
        )
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_only_referrers_may_open_the_form(client, reference, role_users):
    assert client.get(URL).status_code == 302  # to sign in
    client.force_login(role_users[Role.PERPETRATOR_WORKER])
    assert client.get(URL).status_code == 403
    client.force_login(role_users[Role.REFERRER])
    response = client.get(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_referral_with_a_victim_survivor_and_a_child_is_recorded(signed_in, referrer):
    response = signed_in.post(URL, _answers(_token(signed_in)))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/mine/{referral.reference}/"
    assert referral.route == ReferralRoute.AGENCY
    assert referral.channel == ReferralChannel.FORM
    assert referral.source == "police"
    assert referral.referrer == referrer
    assert referral.person_name == "Sam Example"
    assert str(referral.person_date_of_birth) == "1985-03-27"
    assert referral.person_postcode == "LS1 4AP"
    assert referral.abuse_types == ["DA", "stalking"]
    assert referral.marac_heard is False
    assert referral.needs == ["substance_use"] and referral.cohorts == ["young_adults"]
    assert (referral.lawful_basis, referral.consent_status) == ("public_task", "given")
    victim = referral.victims.get()
    assert (victim.name, victim.voicemail_safe, victim.knows_of_referral) == (
        "Alex Example",
        "no",
        "no",
    )
    assert victim.safe_times == "Tuesdays 10 to 12"
    child = referral.children.get()
    assert (child.age, child.lives_with_person, child.social_care_involved) == (6, "no", "yes")


def test_success_shows_a_notification_banner_on_the_referral_page(signed_in):
    response = signed_in.post(URL, _answers(_token(signed_in)), follow=True)
    html = response.content.decode()
    reference = Referral.objects.get().reference
    assert "govuk-notification-banner--success" in html
    assert f"Referral {reference} sent to the front door" in html


def test_double_submit_makes_one_referral(signed_in):
    answers = _answers(_token(signed_in))
    first = signed_in.post(URL, answers)
    second = signed_in.post(URL, answers)
    assert Referral.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_the_same_page_sent_again_with_changes_is_refused_with_the_reference(signed_in):
    token = _token(signed_in)
    signed_in.post(URL, _answers(token))
    response = signed_in.post(URL, _answers(token, person_name="Someone Else"))
    assert response.status_code == 409
    html = response.content.decode()
    assert f"already sent as referral {Referral.objects.get().reference}" in html
    assert Referral.objects.count() == 1


def test_add_another_victim_survivor_keeps_answers_and_shows_no_errors(signed_in):
    answers = _answers(_token(signed_in), add="victim", person_name="")
    response = signed_in.post(URL, answers)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="victims-1-name"' in html and 'name="victims-2-name"' not in html
    assert 'value="Alex Example"' in html
    assert "There is a problem" not in html  # the empty person name is not judged yet
    assert 'id="victim-1"' in html
    assert not Referral.objects.exists()


def test_add_another_child_then_send_records_both(signed_in):
    answers = _answers(_token(signed_in), add="child")
    html = signed_in.post(URL, answers).content.decode()
    assert 'name="children-1-age"' in html
    answers.pop("add")
    answers.update(
        {"children-TOTAL_FORMS": "2", "children-1-age": "0", "children-1-lives_with_person": "yes"}
    )
    assert signed_in.post(URL, answers).status_code == 302
    assert sorted(Referral.objects.get().children.values_list("age", flat=True)) == [0, 6]


def test_untouched_extra_forms_are_ignored(signed_in):
    answers = _answers(_token(signed_in), victims=2, children=2)
    assert signed_in.post(URL, answers).status_code == 302
    referral = Referral.objects.get()
    assert referral.victims.count() == 1 and referral.children.count() == 1


def test_the_number_of_forms_cannot_be_inflated(signed_in):
    answers = _answers(_token(signed_in), **{"victims-TOTAL_FORMS": "5000"})
    response = signed_in.post(URL, answers)
    assert response.status_code in (302, 400)
    assert Referral.objects.count() <= 1


def test_a_victim_survivor_with_details_needs_a_name(signed_in):
    answers = _answers(_token(signed_in), **{"victims-0-name": ""})
    response = signed_in.post(URL, answers)
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        "Enter the victim-survivor&#x27;s name, or clear this victim-survivor&#x27;s details"
        in html
    )
    assert 'href="#id_victims-0-name"' in html
    assert not Referral.objects.exists()


def test_a_known_victim_survivor_must_be_named(signed_in):
    answers = _answers(_token(signed_in), victims=0)
    answers["victims-TOTAL_FORMS"] = "1"
    html = signed_in.post(URL, answers).content.decode()
    assert "Enter the name of at least one victim-survivor" in html
    assert not Referral.objects.exists()


def test_no_known_victim_survivor_is_allowed(signed_in):
    answers = _answers(_token(signed_in), victims=0, victims_known="no")
    answers["victims-TOTAL_FORMS"] = "1"
    assert signed_in.post(URL, answers).status_code == 302
    assert Referral.objects.get().victims.count() == 0


def test_referring_without_consent_needs_the_safeguarding_reason(signed_in):
    answers = _answers(_token(signed_in), consent_status="not_given")
    response = signed_in.post(URL, answers)
    html = response.content.decode()
    assert response.status_code == 400
    assert CONSENT_REASON_REQUIRED in html
    assert 'href="#id_consent_reason"' in html
    assert not Referral.objects.exists()
    answers["consent_reason"] = "Risk to the children; telling him would raise it."
    assert signed_in.post(URL, answers).status_code == 302


def test_the_form_shows_the_services_own_consent_message(reference, referrer):
    """The form repeats intake's rule only to show every error at once; the words match."""
    data = ReferralInput(
        route="agency",
        channel="form",
        source="police",
        area_id=Area.objects.get(slug="leeds").id,
        fields={
            "person_name": "Sam Example",
            "lawful_basis": "public_task",
            "consent_status": "not_asked",
        },
    )
    with pytest.raises(ValidationError) as raised:
        referral_submit(actor=referrer, data=data)
    assert raised.value.message_dict["consent_reason"] == [CONSENT_REASON_REQUIRED]


def test_service_errors_land_on_the_fields_they_are_about(signed_in):
    error = ValidationError(
        {
            "consent_reason": ["Reason from the service"],
            "victims-0-name": ["Victim name from the service"],
            "referrer": ["Not a referrer"],
        }
    )
    with mock.patch("pathways.referrals.views.agency.referral_submit", side_effect=error):
        response = signed_in.post(URL, _answers(_token(signed_in)))
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="id_consent_reason-error".*?Reason from the service', html, re.S)
    assert re.search(r'id="id_victims-0-name-error".*?Victim name from the service', html, re.S)
    assert "Not a referrer" in html


def test_date_of_birth_or_age_is_needed(signed_in):
    answers = _answers(_token(signed_in), person_date_of_birth="")
    html = signed_in.post(URL, answers).content.decode()
    assert "Enter the person&#x27;s date of birth, or their age below" in html
    answers["person_age"] = "34"
    assert signed_in.post(URL, answers).status_code == 302
    assert Referral.objects.get().person_age == 34


def test_a_malformed_date_of_birth_or_postcode_is_refused(signed_in):
    answers = _answers(_token(signed_in), person_date_of_birth="soon", person_postcode="nowhere")
    html = signed_in.post(URL, answers).content.decode()
    assert "Enter the date of birth as day, month and year, like 27 3 1985" in html
    assert "Enter a real postcode, like LS1 4AP" in html


def test_self_is_not_a_referring_agency(signed_in):
    html = signed_in.get(URL).content.decode()
    source = re.search(r'<select[^>]*name="source".*?</select>', html, re.S).group(0)
    assert 'value="police"' in source and 'value="self"' not in source
    response = signed_in.post(URL, _answers(_token(signed_in), source="self"))
    assert response.status_code == 400
    assert not Referral.objects.exists()


def test_abuse_types_come_from_the_taxonomy(signed_in):
    html = signed_in.get(URL).content.decode()
    assert 'name="abuse_types" type="checkbox" value="DA"' in html
    response = signed_in.post(URL, _answers(_token(signed_in), abuse_types=[]))
    assert "Select at least one type of abuse" in response.content.decode()


def test_an_expired_or_borrowed_token_is_refused(signed_in, role_users):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 25 * 60 * 60):
        old = form_token_issue(purpose=f"agency-referral:{role_users[Role.REFERRER].pk}")
    response = signed_in.post(URL, _answers(old))
    assert response.status_code == 400
    assert "open for more than a day" in response.content.decode()
    borrowed = form_token_issue(purpose=f"agency-referral:{role_users[Role.TRIAGE].pk}")
    response = signed_in.post(URL, _answers(borrowed))
    assert response.status_code == 400
    assert "Something went wrong sending this form" in response.content.decode()
    assert not Referral.objects.exists()
