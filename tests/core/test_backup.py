"""`pathways backup` / `pathways restore` round-trip every row, on SQLite and (when the
suite runs against PostgreSQL) on PostgreSQL, in real processes against their own
databases; a restore refuses another schema, a database holding data and a damaged file,
and writes nothing when it refuses."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest

from tests.core.support.databases import Databases, pathways

DIGEST = """
import hashlib, json
from django.core import serializers
from pathways.core.backup import FullPrecisionEncoder, backed_up_models
out = {}
for model in backed_up_models():
    rows = model._default_manager.order_by("pk")
    text = serializers.serialize(
        "json", rows, use_natural_foreign_keys=True, cls=FullPrecisionEncoder
    )
    out[model._meta.label_lower] = [rows.count(), hashlib.sha256(text.encode()).hexdigest()]
print(json.dumps(out))
"""


def run(url: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return pathways(url, *argv, check=check)


def digest(url: str) -> dict[str, list]:
    return json.loads(run(url, "shell", "-v0", "-c", DIGEST).stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def dbs(tmp_path_factory):
    made = Databases(tmp_path_factory.mktemp("backup"), "backup")
    yield made
    if made.postgres:
        made.drop_all()


@pytest.fixture(scope="module")
def source(dbs):
    """A database with demo data (services, users, referrals, cases, audit trail)."""
    url = dbs.new("source")
    run(url, "migrate", "--noinput", "-v0")
    run(url, "load_demo", "--synthetic-services", "5")
    return url


@pytest.fixture(scope="module")
def backup_file(source, dbs):
    path = dbs.tmp / "pathways.backup.gz"
    result = run(source, "backup", str(path))
    assert "Backed up" in result.stdout
    return path


def fresh(dbs, name: str) -> str:
    url = dbs.new(name)
    run(url, "migrate", "--noinput", "-v0")
    return url


def test_restore_round_trips_every_row_and_keeps_the_audit_chain(source, backup_file, dbs):
    target = fresh(dbs, "target")
    result = run(target, "restore", str(backup_file))
    assert "Restored" in result.stdout
    before, after = digest(source), digest(target)
    assert before == after
    assert before["audit.auditevent"][0] > 0
    assert before["directory.service"][0] > 0
    assert run(target, "audit-verify").returncode == 0


def test_restore_refuses_a_database_that_holds_data(source, backup_file):
    before = digest(source)
    result = run(source, "restore", str(backup_file), check=False)
    assert result.returncode != 0
    assert "already holds data" in result.stderr
    assert digest(source) == before


def _rewrite(backup_file: Path, out: Path, change) -> Path:
    with gzip.open(backup_file, "rt", encoding="utf-8") as stream:
        lines = stream.readlines()
    lines = change(lines)
    with gzip.open(out, "wt", encoding="utf-8") as stream:
        stream.writelines(lines)
    return out


def test_restore_refuses_a_backup_from_another_schema_and_writes_nothing(backup_file, dbs):
    def newer_schema(lines):
        header = json.loads(lines[0])
        header["migrations"].setdefault("cases", []).append("9999_from_the_future")
        return [json.dumps(header) + "\n", *lines[1:]]

    other = _rewrite(backup_file, dbs.tmp / "other-schema.gz", newer_schema)
    target = fresh(dbs, "schema")
    empty = digest(target)
    result = run(target, "restore", str(other), check=False)
    assert result.returncode != 0
    assert "different database schema" in result.stderr
    assert "9999_from_the_future" in result.stderr
    assert digest(target) == empty


def test_a_damaged_backup_restores_nothing(backup_file, dbs):
    def cut_and_corrupt(lines):
        keep = lines[: len(lines) * 2 // 3]
        return [*keep, '{"model": "directory.service", "pk": "not-a-uuid", "fields": {}}\n']

    damaged = _rewrite(backup_file, dbs.tmp / "damaged.gz", cut_and_corrupt)
    target = fresh(dbs, "damaged")
    empty = digest(target)
    result = run(target, "restore", str(damaged), check=False)
    assert result.returncode != 0
    assert "damaged" in result.stderr or "could not be read" in result.stderr
    assert digest(target) == empty


def test_a_file_that_is_not_a_backup_is_refused(dbs):
    junk = dbs.tmp / "junk.gz"
    with gzip.open(junk, "wt", encoding="utf-8") as stream:
        stream.write("hello\n")
    plain = dbs.tmp / "plain.txt"
    plain.write_text("not gzip")
    target = fresh(dbs, "junk")
    for path in (junk, plain, dbs.tmp / "missing.gz"):
        result = run(target, "restore", str(path), check=False)
        assert result.returncode != 0, path
        assert "Traceback" not in result.stderr, result.stderr
