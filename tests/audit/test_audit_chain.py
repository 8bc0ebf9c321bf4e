"""The audit trail is append-only and tamper-evident."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from pathways.audit.models import AppendOnlyError, AuditAction, AuditEvent
from pathways.audit.selectors import audit_chain_verify
from pathways.audit.services import GENESIS_HASH, audit_record


def _three_events():
    return [
        audit_record(
            actor=None, action=AuditAction.CREATE, object_type="thing", object_id=n, detail={"n": n}
        )
        for n in range(3)
    ]


@pytest.mark.django_db
def test_events_link_to_their_predecessor():
    first, second, third = _three_events()
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.hash
    assert third.previous_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    report = audit_chain_verify()
    assert report.ok and report.checked == 3


@pytest.mark.django_db
def test_orm_refuses_to_change_or_delete_an_event():
    event = _three_events()[0]
    event.detail = {"n": 99}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(detail={})
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db
def test_database_refuses_update_behind_the_orms_back():
    event = _three_events()[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET object_id = 'x' WHERE sequence = %s", [event.sequence]
        )


def _drop_update_trigger(cursor):
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update")
    else:
        cursor.execute("DROP TRIGGER audit_event_no_update")


@pytest.mark.django_db
def test_verify_finds_the_first_changed_event():
    first, second, third = _three_events()
    with connection.cursor() as cursor:
        _drop_update_trigger(cursor)
        cursor.execute(
            "UPDATE audit_auditevent SET object_id = 'forged' WHERE sequence = %s",
            [second.sequence],
        )
    report = audit_chain_verify()
    assert not report.ok
    assert report.broken_at == second.sequence
    assert report.checked == 1
    assert "changed" in report.reason
    with pytest.raises(CommandError, match=f"#{second.sequence}"):
        call_command("audit-verify")


@pytest.mark.django_db
def test_verify_finds_a_removed_event():
    first, second, third = _three_events()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _drop_update_trigger(cursor)
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = %s", [second.sequence])
    report = audit_chain_verify()
    assert not report.ok
    assert report.broken_at == third.sequence
    assert "link" in report.reason


@pytest.mark.django_db
def test_postgresql_refuses_delete_behind_the_orms_back():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite leaves DELETE to the ORM guard; see the migration's docstring")
    event = _three_events()[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = %s", [event.sequence])


@pytest.mark.django_db
def test_verify_command_reports_intact_chain(capsys):
    _three_events()
    call_command("audit-verify")
    assert "3 events verified" in capsys.readouterr().out


@pytest.mark.django_db
def test_actor_and_address_are_recorded(role_users, rf):
    from pathways.accounts.models import Role

    request = rf.get("/", REMOTE_ADDR="192.0.2.10")
    user = role_users[Role.ANALYST]
    event = audit_record(
        actor=user, action=AuditAction.EXPORT, object_type="service", request=request
    )
    assert event.actor == user
    assert event.actor_label == user.username
    assert event.ip_address == "192.0.2.10"
