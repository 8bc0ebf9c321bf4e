"""The public self-referral: asks only what is needed, makes one referral per form page,
keeps no trace of the person on the device, and resists misuse without third parties."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.conf import settings

from pathways.audit.models import AuditEvent
from pathways.referrals.forms_intake import form_token_issue
from pathways.referrals.models import Referral, ReferralChannel, ReferralRoute
from pathways.referrals.views.public import FORM_PURPOSE, SESSION_REFERENCE

pytestmark = pytest.mark.django_db

START = "/self-referral/"
FORM = "/self-referral/details/"
DONE = "/self-referral/done/"


def _token(client) -> str:
    html = client.get(FORM).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def _answers(token: str, **changes) -> dict:
    data = {
        "form_token": token,
        "website": "",
        "area": "leeds",
        "name": "Jay",
        "contact_phone": "07700 900123",
        "contact_email": "",
        "safe_times": "Weekday mornings",
        "voicemail_safe": "no",
        "text_safe": "yes",
        "safe_word": "bluebell",
        "account": "I shout at my partner and I want to stop.",
        "children_in_household": "yes",
        "language": "en",
        "other_language": "",
        "accessibility_needs": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def areas(reference):
    return reference


def test_start_page_explains_what_happens_and_how_to_leave(client, areas):
    response = client.get(START)
    html = response.content.decode()
    assert response.status_code == 200
    assert "This is not an emergency service" in html and "call 999" in html
    assert "Who will see what you tell us" in html
    assert "press the Shift key 3 times" in html
    assert 'href="/privacy/"' in html
    assert 'href="/weather/"' in html  # Exit this page, inherited from the public layout
    assert 'href="/self-referral/details/"' in html


def test_self_referral_pages_offer_welsh_with_a_post_form(client, areas):
    html = client.get(START).content.decode()
    switch = re.search(r'<form method="post" action="/language/".*?</form>', html, re.S).group(0)
    assert 'name="next" value="/self-referral/"' in switch
    assert 'value="cy" lang="cy"' in switch and "Cymraeg" in switch
    assert 'action="/language/"' in client.get(FORM).content.decode()


def test_switching_to_welsh_returns_to_the_same_page_in_welsh(client, areas):
    response = client.post("/language/", {"language": "cy", "next": FORM})
    assert response.status_code == 302 and response["Location"] == FORM
    html = client.get(FORM).content.decode()
    assert '<html lang="cy"' in html
    assert "Ble rydych chi&#x27;n byw?" in html
    assert 'value="en" lang="en"' in html  # and back to English


def test_form_asks_only_what_is_needed(client, areas):
    html = client.get(FORM).content.decode()
    form = re.search(r'<form method="post" action="/self-referral/details/".*?</form>', html, re.S)
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*name="([a-z_]+)"', form.group(0)))
    assert names == {
        "form_token",
        "website",
        "area",
        "name",
        "contact_phone",
        "contact_email",
        "safe_times",
        "voicemail_safe",
        "text_safe",
        "safe_word",
        "account",
        "children_in_household",
        "language",
        "other_language",
        "interpreter_needed",
        "accessibility_needs",
        "csrfmiddlewaretoken",
    }


def test_form_pages_are_never_cached_and_ask_browsers_not_to_remember_answers(client, areas):
    response = client.get(FORM)
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    for field in ("name", "contact_phone", "contact_email", "safe_word", "safe_times"):
        tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', html).group(0)
        assert 'autocomplete="off"' in tag, field


def test_a_self_referral_is_recorded_and_its_reference_shown_once(client, areas):
    response = client.post(FORM, _answers(_token(client)))
    assert response.status_code == 302
    assert response["Location"] == DONE  # nothing about the person in the URL
    referral = Referral.objects.get()
    assert referral.route == ReferralRoute.SELF
    assert referral.channel == ReferralChannel.WEB
    assert referral.source == "self"
    assert referral.area.slug == "leeds"
    assert referral.person_name == "Jay"
    assert referral.contact_methods == ["phone", "text"]
    assert (referral.voicemail_safe, referral.text_safe) == ("no", "yes")
    assert referral.safe_word == "bluebell"
    assert referral.children_in_household == "yes"
    assert referral.referrer is None
    assert dict(client.session) == {SESSION_REFERENCE: referral.reference}

    done = client.get(DONE)
    assert done.status_code == 200
    assert referral.reference in done.content.decode()
    assert "no-store" in done["Cache-Control"]
    # No language switch: switching reloads the page, and the reference is shown only once.
    assert 'action="/language/"' not in done.content.decode()
    assert 'action="/language/"' in client.get(START).content.decode()
    assert SESSION_REFERENCE not in client.session
    assert done.cookies[settings.SESSION_COOKIE_NAME].value == ""  # the cookie goes too
    again = client.get(DONE)
    assert again.status_code == 302 and again["Location"] == START


def test_the_session_never_holds_what_the_person_typed(client, areas):
    client.post(FORM, _answers(_token(client)))
    stored = str(dict(client.session))
    for typed in ("Jay", "07700", "bluebell", "shout"):
        assert typed not in stored


def test_double_submit_makes_one_referral_and_shows_the_same_reference(client, areas):
    answers = _answers(_token(client))
    first = client.post(FORM, answers)
    second = client.post(FORM, answers)
    assert first.status_code == second.status_code == 302
    assert Referral.objects.count() == 1
    reference = Referral.objects.get().reference
    assert reference in client.get(DONE).content.decode()


def test_sending_the_same_page_again_with_changes_keeps_the_first(client, areas):
    token = _token(client)
    client.post(FORM, _answers(token))
    response = client.post(FORM, _answers(token, safe_times="Evenings"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You already sent this form" in html
    assert Referral.objects.get().reference in html
    assert Referral.objects.get().safe_times == "Weekday mornings"


def test_a_phone_number_or_email_address_is_needed(client, areas):
    response = client.post(FORM, _answers(_token(client), contact_phone=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter a phone number or an email address so we can contact you" in html
    assert 'href="#id_contact_phone"' in html
    assert "<title>Error:" in html
    assert not Referral.objects.exists()


def test_email_alone_is_enough_and_phone_questions_are_then_not_needed(client, areas):
    answers = _answers(
        _token(client),
        contact_phone="",
        contact_email="jay@example.test",
        voicemail_safe=None,
        text_safe=None,
    )
    assert client.post(FORM, answers).status_code == 302
    referral = Referral.objects.get()
    assert referral.contact_methods == ["email"]
    assert (referral.voicemail_safe, referral.text_safe) == ("not_sure", "not_sure")


def test_with_a_phone_number_we_ask_whether_voicemail_and_texts_are_safe(client, areas):
    answers = _answers(_token(client), voicemail_safe=None, text_safe=None)
    html = client.post(FORM, answers).content.decode()
    assert "Select whether it is safe to leave a voicemail on the number you gave" in html
    assert "Select whether it is safe to send a text message to the number you gave" in html
    assert 'href="#id_voicemail_safe_0"' in html
    assert not Referral.objects.exists()


def test_malformed_phone_and_email_are_refused(client, areas):
    html = client.post(
        FORM, _answers(_token(client), contact_phone="call me", contact_email="jay@")
    ).content.decode()
    assert "Enter a phone number, like 01632 960 001 or 07700 900 982" in html
    assert "Enter an email address in the correct format, like name@example.com" in html
    assert not Referral.objects.exists()


def test_someone_outside_the_areas_is_told_where_else_to_go(client, areas):
    response = client.post(FORM, _answers(_token(client), area="elsewhere"))
    assert response.status_code == 400
    assert "Respect Phoneline on 0808 802 4040" in response.content.decode()
    assert not Referral.objects.exists()


def test_another_language_is_recorded_for_the_worker(client, areas):
    answers = _answers(
        _token(client), language="other", other_language="Tigrinya", interpreter_needed="on"
    )
    client.post(FORM, answers)
    referral = Referral.objects.get()
    assert referral.language == "und"
    assert referral.interpreter_needed is True
    assert referral.accessibility_needs == "Preferred language: Tigrinya"


def test_another_language_must_be_named(client, areas):
    html = client.post(FORM, _answers(_token(client), language="other")).content.decode()
    assert "Enter the language you would like us to use" in html


def test_a_filled_honeypot_writes_nothing_and_says_so(client, areas):
    response = client.post(FORM, _answers(_token(client), website="http://spam.example"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "We could not send this form" in html
    assert "spam.example" not in html  # cleared, so a person can simply send again
    assert not Referral.objects.exists()


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(client, areas):
    html = client.get(FORM).content.decode()
    wrapper = re.search(
        r'<div class="govuk-visually-hidden" aria-hidden="true">.*?</div>', html, re.S
    )
    assert 'name="website"' in wrapper.group(0) and 'tabindex="-1"' in wrapper.group(0)


def test_an_expired_form_is_not_sent_but_keeps_the_answers(client, areas):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 5 * 60 * 60):
        old = form_token_issue(purpose=FORM_PURPOSE)
    response = client.post(FORM, _answers(old))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This page was open for a long time" in html
    assert 'value="Weekday mornings"' in html
    fresh = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    assert fresh != old
    assert not Referral.objects.exists()
    assert client.post(FORM, _answers(fresh)).status_code == 302


def test_a_forged_or_missing_token_is_refused(client, areas):
    for token in ("", "made-up", form_token_issue(purpose="agency-referral:1")):
        response = client.post(FORM, _answers(token))
        assert response.status_code == 400
        assert "Something went wrong sending this form" in response.content.decode()
    assert not Referral.objects.exists()


def test_too_many_referrals_from_one_address_are_refused_clearly(client, areas, settings):
    settings.SELF_REFERRAL_RATE_PER_HOUR = 2
    sent = [_answers(_token(client)) for _ in range(2)]
    for answers in sent:
        assert client.post(FORM, answers).status_code == 302
    response = client.post(FORM, _answers(_token(client)))
    assert response.status_code == 429
    html = response.content.decode()
    assert "We have had several forms from this connection in the last hour" in html
    assert "Nothing you typed has been saved" in html
    assert Referral.objects.count() == 2
    # A retry of a page already sent is not limited: it shows the referral it made.
    assert client.post(FORM, sent[1]).status_code == 302
    # Another address has its own allowance.
    other = client.post(FORM, _answers(_token(client)), REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302
    assert Referral.objects.count() == 3


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(client, areas, settings):
    settings.SELF_REFERRAL_RATE_PER_HOUR = 1
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    first = {"HTTP_X_FORWARDED_FOR": "198.51.100.1", **proxy}
    assert client.post(FORM, _answers(_token(client)), **first).status_code == 302
    assert client.post(FORM, _answers(_token(client)), **first).status_code == 429
    # Same proxy, another client: not limited by the first one's referrals.
    second = {"HTTP_X_FORWARDED_FOR": "198.51.100.2", **proxy}
    assert client.post(FORM, _answers(_token(client)), **second).status_code == 302
    assert Referral.objects.count() == 2


def test_the_rate_limit_does_not_keep_the_address(client, areas):
    from django.test import RequestFactory

    from pathways.referrals.views.public import _address_key

    request = RequestFactory().post(FORM, REMOTE_ADDR="203.0.113.9")
    assert "203.0.113.9" not in _address_key(request)


def test_an_anonymous_self_referral_is_audited_without_the_address(client, areas):
    client.post(FORM, _answers(_token(client)), REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get(action="referral.submitted")
    assert event.actor is None
    assert not event.ip_address


def test_errors_are_shown_in_welsh_on_the_welsh_form(client, areas):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    response = client.post(FORM, _answers(_token(client), contact_phone=""))
    html = response.content.decode()
    assert "Mae problem wedi codi" in html
    assert "Rhowch rif ffôn neu gyfeiriad e-bost er mwyn i ni allu cysylltu â chi" in html
    assert "<title>Gwall:" in html


def test_welsh_form_names_welsh_places_in_welsh(client, areas):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    html = client.get(FORM).content.decode()
    assert ">Caerdydd</option>" in html and ">Bro Morgannwg</option>" in html
    assert ">Leeds</option>" in html


def test_welsh_done_page_gives_the_reference_in_welsh(client, areas):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    client.post(FORM, _answers(_token(client), area="cardiff"))
    html = client.get(DONE).content.decode()
    assert "Hunangyfeiriad wedi'i anfon" in html
    assert Referral.objects.get().reference in html
    assert Referral.objects.get().area.slug == "cardiff"
