"""A process killed with SIGKILL in the middle of a referral submission, a case closure or
an import leaves the database as before, never between; retrying then does the work
exactly once. Real processes against their own database (SQLite file, or PostgreSQL when
the suite runs on it); each write pauses inside its transaction until it is killed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.core.support.databases import ROOT, Databases, pathways, process_env

CHILD = str(ROOT / "tests" / "core" / "support" / "crash_child.py")


def child(url: str, *argv: str) -> dict:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, CHILD, *argv],
        cwd=ROOT,
        env=process_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def killed_in_the_middle(url: str, *argv: str) -> None:
    """Start the write, wait until it says it is inside its transaction, SIGKILL it."""
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, CHILD, *argv, "--pause"],
        cwd=ROOT,
        env=process_env(url),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()  # blocks until MIDDLE (or the child ends)
        assert line == "MIDDLE", f"child ended early: {line!r} {proc.stderr.read()}"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
        proc.stdin.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    dbs = Databases(tmp_path_factory.mktemp("crash"), "crash")
    url = dbs.new("crash")
    pathways(url, "migrate", "--noinput", "-v0")
    pathways(url, "load_demo", "--reference-only")
    setup = child(url, "setup")
    yield url, setup["case"]
    if dbs.postgres:
        dbs.drop_all()


def test_a_killed_referral_submission_leaves_nothing_and_a_retry_stores_it_once(db):
    url, _ = db
    before = child(url, "state")
    killed_in_the_middle(url, "submit", "crash-key")
    after_kill = child(url, "state")
    assert after_kill["referrals"] == before["referrals"]
    assert after_kill["keyed"]["crash-key"] == 0
    assert after_kill["audit"] == before["audit"]

    first = child(url, "submit", "crash-key")
    again = child(url, "submit", "crash-key")
    assert first["created"] is True and again["created"] is False
    assert again["reference"] == first["reference"]
    assert child(url, "state")["keyed"]["crash-key"] == 1


def test_a_killed_case_closure_leaves_the_case_open_and_a_retry_closes_it_once(db):
    url, reference = db
    before = child(url, "state")
    killed_in_the_middle(url, "close", reference)
    after_kill = child(url, "state")
    assert after_kill["cases"][reference] == before["cases"][reference] != "closed"
    assert after_kill["closed_history"] == before["closed_history"]
    assert after_kill["audit"] == before["audit"]

    assert child(url, "close", reference)["status"] == "closed"
    state = child(url, "state")
    assert state["cases"][reference] == "closed"
    assert state["closed_history"] == before["closed_history"] + 1


def test_a_killed_import_writes_no_service_and_a_retry_imports_every_row(db):
    url, _ = db
    killed_in_the_middle(url, "import")
    assert child(url, "state")["services"] == []
    assert child(url, "import")["status"] == "succeeded"
    assert child(url, "state")["services"] == [
        "Crash Import One",
        "Crash Import Three",
        "Crash Import Two",
    ]
