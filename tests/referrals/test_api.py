"""Referrals API: agency systems make referrals once however often they retry, get field
errors in the one error body, and read back only their own referrals' progress."""

from __future__ import annotations

import copy

import pytest
from rest_framework.test import APIClient

from pathways.accounts.models import Role
from pathways.referrals.api import ReferralCreateApi
from pathways.referrals.models import Referral, ReferralChannel, ReferralStatus
from pathways.referrals.reference import RiskTier
from pathways.referrals.services.intake import INTAKE_FIELDS
from pathways.referrals.services.status import referral_transition

from ..conftest import TEST_PASSWORD

URL = "/api/v1/referrals/"

BODY = {
    "source": "police",
    "area": "leeds",
    "person_name": "Sam Example",
    "person_gender": "man",
    "lawful_basis": "public_task",
    "consent_status": "given",
    "abuse_types": ["DA"],
    "contact_phone": "07700 900123",
    "voicemail_safe": "no",
    "victim_survivors": [
        {"name": "Alex Example", "contact_phone": "07700 900456", "safe_times": "Mornings"}
    ],
    "children": [{"age": 6, "lives_with_person": "yes"}],
}


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def referrer_api(role_users, reference):
    return api_for(role_users[Role.REFERRER])


def post(client, body=None, key: str | None = "key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, body if body is not None else BODY, format="json", **headers)


def fields_of(response) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


def test_input_serializer_covers_every_intake_field():
    declared = set(ReferralCreateApi.InputSerializer().fields)
    assert INTAKE_FIELDS <= declared
    assert declared - INTAKE_FIELDS == {"source", "area", "victim_survivors", "children"}


@pytest.mark.django_db
def test_referral_is_made_with_its_victim_survivor_and_child(referrer_api, role_users):
    response = post(referrer_api)
    assert response.status_code == 201
    body = response.json()
    referral = Referral.objects.get(reference=body["reference"])
    assert body["status"] == ReferralStatus.RECEIVED
    assert response["Location"] == body["status_url"]
    assert body["status_url"].endswith(f"/api/v1/referrals/{referral.reference}/")
    assert referral.channel == ReferralChannel.API
    assert referral.referrer == role_users[Role.REFERRER]
    assert referral.area.slug == "leeds"
    assert [v.name for v in referral.victims.all()] == ["Alex Example"]
    assert [c.age for c in referral.children.all()] == [6]


@pytest.mark.django_db
def test_token_authentication_is_enough_to_refer(role_users, reference):
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/",
        {"username": role_users[Role.REFERRER].username, "password": TEST_PASSWORD},
        format="json",
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert post(client).status_code == 201


@pytest.mark.django_db
def test_replay_with_the_same_key_returns_the_same_referral_with_200(referrer_api):
    first = post(referrer_api)
    again = post(referrer_api)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_replay_that_omits_fields_left_at_their_defaults_is_still_the_same_referral(
    referrer_api,
):
    post(referrer_api)
    explicit = {**BODY, "language": "en", "marac_heard": False, "cohorts": []}
    assert post(referrer_api, explicit).status_code == 200
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_different_content_is_a_409_with_the_error_body(referrer_api):
    first = post(referrer_api).json()
    changed = copy.deepcopy(BODY)
    changed["victim_survivors"][0]["safe_times"] = "Evenings"
    response = post(referrer_api, changed)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["status"] == 409
    assert error["code"] == "idempotency_conflict"
    assert first["reference"] in error["message"]
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_without_a_key_each_post_is_a_new_referral(referrer_api):
    post(referrer_api, key=None)
    post(referrer_api, key=None)
    assert Referral.objects.count() == 2


@pytest.mark.django_db
def test_an_overlong_key_is_refused(referrer_api):
    response = post(referrer_api, key="k" * 101)
    assert response.status_code == 400
    assert "Idempotency-Key" in fields_of(response)
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_missing_sharing_basis_and_consent_are_field_errors(referrer_api):
    body = {k: v for k, v in BODY.items() if k not in {"lawful_basis", "consent_status"}}
    response = post(referrer_api, body)
    assert response.status_code == 400
    fields = fields_of(response)
    assert fields["lawful_basis"] == "Select the lawful basis for sharing this information"
    assert fields["consent_status"] == "Select whether the person has consented"
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_a_victim_survivor_without_a_name_is_named_in_the_error(referrer_api):
    body = {**BODY, "victim_survivors": [{"name": "  "}]}
    response = post(referrer_api, body)
    assert response.status_code == 400
    assert fields_of(response)["victim_survivors[0].name"] == "Enter the victim-survivor's name"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area": "atlantis"}, "area"),
        ({"source": "self"}, "source"),
        ({"source": "neighbour"}, "source"),
        ({"abuse_types": ["DA", "made-up"]}, "abuse_types"),
        ({"voicemail_safe": "maybe"}, "voicemail_safe"),
        ({"children": [{"age": -1}]}, "children[0].age"),
        ({"person_date_of_birth": "31/02/1990"}, "person_date_of_birth"),
    ],
)
def test_bad_values_are_400s_naming_the_field(referrer_api, change, field):
    response = post(referrer_api, {**BODY, **change})
    assert response.status_code == 400
    assert field in fields_of(response)
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_400_not_a_500(referrer_api):
    response = referrer_api.post(URL, "not json", content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PROVIDER_MANAGER, Role.SUPPORT_WORKER, Role.ANALYST])
def test_people_who_do_not_refer_get_403(role_users, reference, role):
    response = post(api_for(role_users[role]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_callers_get_401(reference):
    response = post(APIClient())
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


# --- Progress ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_referrer_reads_their_referrals_progress_without_personal_details(referrer_api):
    reference = post(referrer_api).json()["reference"]
    response = referrer_api.get(f"{URL}{reference}/")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == reference
    assert body["status"] == "received"
    assert body["tier"] is None
    assert [h["to_status"] for h in body["history"]] == ["received"]
    text = response.content.decode()
    for personal in ("Sam Example", "Alex Example", "07700"):
        assert personal not in text


@pytest.mark.django_db
def test_tier_appears_once_triaged(referrer_api, role_users):
    reference = post(referrer_api).json()["reference"]
    referral = Referral.objects.get(reference=reference)
    referral_transition(
        actor=role_users[Role.TRIAGE],
        referral=referral,
        to_status=ReferralStatus.TRIAGED,
        changes={"tier": RiskTier.HIGH, "computed_tier": RiskTier.MEDIUM},
    )
    body = referrer_api.get(f"{URL}{reference}/").json()
    assert body["tier"] == RiskTier.HIGH
    assert [h["to_status"] for h in body["history"]] == ["received", "triaged"]
    assert "medium_risk" not in str(body)


@pytest.mark.django_db
def test_another_referrer_gets_404_for_someone_elses_referral(
    referrer_api, make_user, partnership_org
):
    reference = post(referrer_api).json()["reference"]
    other = api_for(make_user("other-referrer", Role.REFERRER, partnership_org))
    response = other.get(f"{URL}{reference}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_front_door_reads_any_referral(referrer_api, role_users):
    reference = post(referrer_api).json()["reference"]
    assert api_for(role_users[Role.TRIAGE]).get(f"{URL}{reference}/").status_code == 200


@pytest.mark.django_db
def test_provider_staff_cannot_read_progress_through_the_api(referrer_api, role_users):
    reference = post(referrer_api).json()["reference"]
    response = api_for(role_users[Role.PROVIDER_MANAGER]).get(f"{URL}{reference}/")
    assert response.status_code in (403, 404)


@pytest.mark.django_db
def test_an_unknown_reference_is_404(referrer_api):
    assert referrer_api.get(f"{URL}PW-ZZZZ-ZZZZ/").status_code == 404


@pytest.mark.django_db
def test_schema_documents_both_operations_and_the_idempotency_header(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    create = schema["paths"]["/api/v1/referrals/"]["post"]
    assert {"201", "200", "400", "409"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    assert "get" in schema["paths"]["/api/v1/referrals/{reference}/"]
