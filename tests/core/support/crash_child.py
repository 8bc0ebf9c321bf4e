"""Run one write in a real process, optionally pausing it in the middle of its transaction
so the test can kill it with SIGKILL. Used by tests/core/test_crash_safety.py.

    python crash_child.py setup                 users, an organisation, a case ready to close
    python crash_child.py submit KEY [--pause]  one agency referral under an idempotency key
    python crash_child.py close REF [--pause]   close a perpetrator case
    python crash_child.py import [--pause]      import a three-row CSV of services
    python crash_child.py state                 print counts the test compares (JSON)

With --pause the process prints MIDDLE once the transaction has written part of its work,
then blocks reading stdin until it is killed.
"""

from __future__ import annotations

import json
import sys
from unittest import mock

import django

django.setup()

from django.utils import timezone  # noqa: E402

from pathways.accounts.models import Membership, Role, User  # noqa: E402
from pathways.areas.models import Area  # noqa: E402
from pathways.audit.models import AuditEvent  # noqa: E402
from pathways.cases.models import CaseStatusChange, PerpetratorCase  # noqa: E402
from pathways.directory.models import Organisation, Service  # noqa: E402
from pathways.referrals.models import Referral  # noqa: E402

IMPORT_CSV = (
    b"name,organisation\n"
    b"Crash Import One,Crash Import Org\n"
    b"Crash Import Two,Crash Import Org\n"
    b"Crash Import Three,Crash Import Org\n"
)


def pause_after(target: str):
    """Patch `target` so that, after it runs, the process says MIDDLE and blocks."""
    module_name, _, attr = target.rpartition(".")
    module = sys.modules[module_name]
    original = getattr(module, attr)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == (2 if "service_create" in target else 1):
            print("MIDDLE", flush=True)
            sys.stdin.read()  # blocks until the test kills this process
        return result

    return mock.patch.object(module, attr, wrapper)


def user(role: str) -> User:
    return User.objects.get(username=f"crash-{role}")


def setup() -> None:
    from pathways.cases.models import ConsentState
    from pathways.cases.services.perpetrator import (
        CaseInput,
        perpetrator_case_assign,
        perpetrator_case_open,
    )
    from pathways.cases.services.records import consent_record
    from pathways.cases.services.support import support_case_assign, support_case_request
    from pathways.directory.models import ProvenanceSource
    from pathways.directory.services import service_create

    org = Organisation.objects.create(name="Crash Provider", slug="crash-provider")
    partnership = Organisation.objects.create(name="Crash Partnership", slug="crash-partnership")
    roles = {
        Role.REFERRER: partnership,
        Role.COMMISSIONER: partnership,
        Role.PERPETRATOR_WORKER: org,
        Role.SUPPORT_WORKER: org,
        Role.PROVIDER_MANAGER: org,
    }
    for role, organisation in roles.items():
        person = User.objects.create_user(f"crash-{role}", email=f"crash-{role}@example.org")
        Membership.objects.create(user=person, organisation=organisation, role=role)
    service = service_create(
        organisation=org,
        data={"name": "Crash Service"},
        actor=user(Role.PROVIDER_MANAGER),
        source=ProvenanceSource.DESK_REVIEW,
    )
    worker, supporter = user(Role.PERPETRATOR_WORKER), user(Role.SUPPORT_WORKER)
    case = perpetrator_case_open(
        actor=worker,
        service=service,
        data=CaseInput(person_name="Crash Case Person", intervention="Programme"),
    )
    perpetrator_case_assign(actor=worker, case=case, worker=worker)
    consent_record(actor=worker, case=case, state=ConsentState.GIVEN)
    support = support_case_request(actor=worker, case=case, victim_name="Crash Partner")
    support_case_assign(actor=supporter, support_case=support, worker=supporter)
    print(json.dumps({"case": case.reference}))


def submit(key: str) -> None:
    from pathways.referrals.models import ReferralChannel, ReferralRoute
    from pathways.referrals.services.intake import ReferralInput, VictimInput, referral_submit

    referral, created = referral_submit(
        actor=user(Role.REFERRER),
        data=ReferralInput(
            route=ReferralRoute.AGENCY,
            channel=ReferralChannel.API,
            source="police",
            area_id=Area.objects.order_by("pk").first().id,
            fields={
                "person_name": "Crash Person",
                "lawful_basis": "public_task",
                "consent_status": "given",
            },
            victims=[VictimInput(name="Crash Victim-Survivor")],
        ),
        idempotency_key=key,
    )
    print(json.dumps({"reference": referral.reference, "created": created}))


def close(reference: str) -> None:
    from pathways.cases.services.perpetrator import case_transition

    case = PerpetratorCase.objects.get(reference=reference)
    case_transition(
        actor=user(Role.PERPETRATOR_WORKER), case=case, to_status="closed", reason="Not suitable"
    )
    print(json.dumps({"status": case.status}))


def run_import() -> None:
    from pathways.directory.imports import import_job_create, import_job_run
    from pathways.directory.models import ProvenanceSource

    job = import_job_create(
        actor=user(Role.COMMISSIONER),
        filename="crash.csv",
        fmt="csv",
        content=IMPORT_CSV,
        provenance_source=ProvenanceSource.DESK_REVIEW,
    )
    job = import_job_run(job_id=job.pk)
    print(json.dumps({"status": job.status}))


def state() -> None:
    print(
        json.dumps(
            {
                "referrals": Referral.objects.count(),
                "keyed": {
                    key: Referral.objects.filter(idempotency_key=key).count()
                    for key in ("crash-key",)
                },
                "cases": {
                    c.reference: c.status for c in PerpetratorCase.objects.order_by("reference")
                },
                "closed_history": CaseStatusChange.objects.filter(to_status="closed").count(),
                "services": sorted(
                    Service.objects.filter(name__startswith="Crash Import").values_list(
                        "name", flat=True
                    )
                ),
                "audit": AuditEvent.objects.count(),
                "now": timezone.now().isoformat(),
            }
        )
    )


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    pause = "--pause" in rest
    rest = [r for r in rest if r != "--pause"]
    targets = {
        "submit": "pathways.referrals.services.intake.audit_record",
        "close": "pathways.cases.services.perpetrator.history_add",
        "import": "pathways.directory.services.service_create",
    }
    actions = {
        "setup": setup,
        "submit": lambda: submit(rest[0]),
        "close": lambda: close(rest[0]),
        "import": run_import,
        "state": state,
    }
    if pause:
        import pathways.cases.services.perpetrator  # noqa: F401 - make the module patchable
        import pathways.directory.services  # noqa: F401
        import pathways.referrals.services.intake  # noqa: F401

        with pause_after(targets[command]):
            actions[command]()
    else:
        actions[command]()
