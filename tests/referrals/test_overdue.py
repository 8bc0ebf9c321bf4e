"""The overdue command: it lists exactly the overdue referrals, tells whoever holds each one,
and never tells the same audience twice in a day about the same stage."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.referrals.models import Notification, Referral
from pathways.referrals.services.routing import referral_accept

from .test_routing_services import send_referral

KIND = "referral_overdue"


@pytest.fixture(autouse=True)
def _due_days(settings):
    settings.REFERRAL_TRIAGE_DUE_DAYS = 2
    settings.REFERRAL_RESPONSE_DUE_DAYS = 5
    settings.REFERRAL_FIRST_CONTACT_DUE_DAYS = 7


def run(*args: str) -> str:
    out = StringIO()
    call_command("referrals_overdue", *args, stdout=out)
    return out.getvalue()


def age(referral, **fields_days):
    """Set timestamps to so many days ago (created=3 sets created_at three days back)."""
    now = timezone.now()
    names = {"created": "created_at", "changed": "status_changed_at", "sent": "sent_at"}
    Referral.objects.filter(pk=referral.pk).update(
        **{names[k]: now - dt.timedelta(days=v) for k, v in fields_days.items()}
    )
    referral.refresh_from_db()
    return referral


@pytest.fixture
def service(make_service):
    return make_service("Change Project")


@pytest.fixture
def waiting_for_triage(make_referral):
    return age(make_referral(person_name="Sam Example"), created=3, changed=3)


@pytest.fixture
def waiting_for_provider(make_referral, service, role_users):
    referral = send_referral(
        age(make_referral(), created=8), service=service, actor=role_users[Role.TRIAGE]
    )
    return age(referral, sent=6)


@pytest.fixture
def no_first_contact(make_referral, service, role_users):
    referral = send_referral(
        age(make_referral(), created=10), service=service, actor=role_users[Role.TRIAGE]
    )
    return referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=referral)


def recipients(referral) -> set:
    return {n.recipient_user for n in Notification.objects.filter(referral=referral, kind=KIND)}


@pytest.mark.django_db
def test_lists_overdue_referrals_only_and_without_personal_details(
    waiting_for_triage, make_referral
):
    fresh = make_referral()
    out = run()
    assert waiting_for_triage.reference in out
    assert fresh.reference not in out
    assert "Sam Example" not in out
    assert "1 overdue referral." in out
    assert not Notification.objects.filter(kind=KIND).exists()


@pytest.mark.django_db
def test_nothing_overdue_says_so(make_referral):
    make_referral()
    assert "No overdue referrals." in run("--notify")


@pytest.mark.django_db
def test_triage_stage_goes_to_the_front_door(waiting_for_triage, role_users):
    run("--notify")
    assert recipients(waiting_for_triage) == {role_users[Role.TRIAGE]}


@pytest.mark.django_db
def test_waiting_for_the_service_goes_to_the_provider(waiting_for_provider, role_users):
    run("--notify")
    assert recipients(waiting_for_provider) == {
        role_users[Role.PROVIDER_MANAGER],
        role_users[Role.PERPETRATOR_WORKER],
    }


@pytest.mark.django_db
def test_no_first_contact_goes_to_both(no_first_contact, role_users):
    run("--notify")
    assert recipients(no_first_contact) == {
        role_users[Role.TRIAGE],
        role_users[Role.PROVIDER_MANAGER],
        role_users[Role.PERPETRATOR_WORKER],
    }
    body = Notification.objects.filter(referral=no_first_contact, kind=KIND).first().body
    assert "no first contact within 7 days" in body


@pytest.mark.django_db
def test_running_twice_in_a_day_sends_nothing_more(
    waiting_for_triage, waiting_for_provider, no_first_contact
):
    run("--notify")
    count = Notification.objects.filter(kind=KIND).count()
    out = run("--notify")
    assert Notification.objects.filter(kind=KIND).count() == count
    assert "already today" in out


@pytest.mark.django_db
def test_the_next_day_it_reminds_again(waiting_for_triage):
    run("--notify")
    Notification.objects.filter(kind=KIND).update(created_at=timezone.now() - dt.timedelta(days=1))
    run("--notify")
    assert Notification.objects.filter(referral=waiting_for_triage, kind=KIND).count() == 2


@pytest.mark.django_db
def test_a_new_stage_on_the_same_day_is_told_afresh(waiting_for_triage, service, role_users):
    run("--notify")
    send_referral(waiting_for_triage, service=service, actor=role_users[Role.TRIAGE])
    age(waiting_for_triage, sent=6)
    run("--notify")
    provider_told = Notification.objects.filter(
        referral=waiting_for_triage, kind=KIND, recipient_user=role_users[Role.PROVIDER_MANAGER]
    )
    assert provider_told.count() == 1


@pytest.mark.django_db
def test_one_audience_already_told_does_not_stop_the_other(no_first_contact, role_users):
    """If a run stopped after telling the front door, the next run still tells the provider."""
    run("--notify")
    Notification.objects.filter(
        referral=no_first_contact, recipient_user=role_users[Role.PROVIDER_MANAGER]
    ).delete()
    Notification.objects.filter(
        referral=no_first_contact, recipient_user=role_users[Role.PERPETRATOR_WORKER]
    ).delete()
    run("--notify")
    assert recipients(no_first_contact) == {
        role_users[Role.TRIAGE],
        role_users[Role.PROVIDER_MANAGER],
        role_users[Role.PERPETRATOR_WORKER],
    }
    assert (
        Notification.objects.filter(
            referral=no_first_contact, recipient_user=role_users[Role.TRIAGE]
        ).count()
        == 1
    )
