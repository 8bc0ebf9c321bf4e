"""Backup and restore of all Pathways data, for SQLite and PostgreSQL alike.

A backup is one gzip file of JSON lines: a header line naming the format, when it was
made, the database vendor and every applied migration; then one line per row, in an order
that loads cleanly (Django's serialisers, natural keys for content types and
permissions). Because the rows are database-neutral, a SQLite backup restores into
PostgreSQL and the other way round.

Restore is all-or-nothing (one transaction), refuses a backup whose migrations differ
from this database's (a different schema), and refuses a database that already holds
data, so it never merges two histories. The audit trail is copied row for row, hashes
included, so `pathways audit-verify` passes on the restored copy.

Sessions and the cache are not backed up: they are transient.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django.utils import timezone

FORMAT = "pathways-backup"
FORMAT_VERSION = 1
# Rows that are recreated by `migrate` (content types, permissions) or are transient.
SKIPPED = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
BATCH = 2000


class FullPrecisionEncoder(DjangoJSONEncoder):
    """Django's encoder drops microseconds from times; a backup must keep every digit (the
    audit trail's hashes cover them)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why in plain words."""


@dataclass(frozen=True)
class Summary:
    rows: int
    models: int
    path: str


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """Every applied migration, by app, sorted: the schema's fingerprint."""
    recorder = MigrationRecorder(connections[using])
    found: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        found.setdefault(app, []).append(name)
    return found


def backed_up_models() -> list[type[Model]]:
    """Concrete, managed models whose rows a backup holds, in dependency order."""
    app_list = {
        config: [
            m
            for m in config.get_models()
            if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in SKIPPED
        ]
        for config in apps.get_app_configs()
    }
    ordered = serializers.sort_dependencies(
        [(config, models_) for config, models_ in app_list.items()], allow_cycles=True
    )
    return [m for m in ordered if m._meta.label_lower not in SKIPPED]


def _rows(model: type[Model], using: str) -> Iterator[Model]:
    return model._default_manager.using(using).order_by("pk").iterator(chunk_size=BATCH)


def backup_write(
    path: str | Path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[str, int], None] | None = None,
) -> Summary:
    """Write every row to `path` (gzip JSON lines). Reads in one repeatable snapshot where
    the database offers it, so a backup taken while people work is consistent."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    models = backed_up_models()
    total = 0
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            with connections[using].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        header = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "vendor": connections[using].vendor,
            "migrations": applied_migrations(using),
            "models": [m._meta.label_lower for m in models],
        }
        with gzip.open(tmp, "wt", encoding="utf-8") as out:
            out.write(json.dumps(header) + "\n")
            for model in models:
                count = 0
                buffer = io.StringIO()
                serializers.serialize(
                    "jsonl",
                    _rows(model, using),
                    stream=buffer,
                    use_natural_foreign_keys=True,
                    use_natural_primary_keys=False,
                    cls=FullPrecisionEncoder,
                )
                text = buffer.getvalue()
                if text:
                    out.write(text if text.endswith("\n") else text + "\n")
                    count = text.count("\n") if text.endswith("\n") else text.count("\n") + 1
                total += count
                if progress:
                    progress(model._meta.label_lower, count)
    tmp.replace(path)
    return Summary(rows=total, models=len(models), path=str(path))


def backup_read_header(stream: IO[str]) -> dict[str, Any]:
    line = stream.readline()
    try:
        header = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BackupError("This is not a Pathways backup (the first line is not a header)") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("This is not a Pathways backup (no Pathways header)")
    if header.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup's format version is {header.get('version')}; this Pathways reads "
            f"version {FORMAT_VERSION}"
        )
    return header


def schema_differences(backup: dict[str, list[str]], current: dict[str, list[str]]) -> list[str]:
    """Plain-words differences between two migration states (empty when the same)."""
    problems = []
    for app in sorted(set(backup) | set(current)):
        theirs, ours = set(backup.get(app, [])), set(current.get(app, []))
        for name in sorted(theirs - ours):
            problems.append(f"{app}: the backup has {name}, this database does not")
        for name in sorted(ours - theirs):
            problems.append(f"{app}: this database has {name}, the backup does not")
    return problems


def database_is_empty(using: str = DEFAULT_DB_ALIAS) -> bool:
    return not any(m._default_manager.using(using).exists() for m in backed_up_models())


def backup_restore(
    path: str | Path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[str, int], None] | None = None,
) -> Summary:
    """Restore a backup into this (freshly migrated, empty) database, all or nothing."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup file at {path}")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            header = backup_read_header(stream)
            differences = schema_differences(
                header.get("migrations", {}), applied_migrations(using)
            )
            if differences:
                shown = "; ".join(differences[:5]) + ("; …" if len(differences) > 5 else "")
                raise BackupError(
                    "This backup was made with a different database schema, so it cannot be "
                    "restored here. Restore it with the Pathways version that made it. "
                    f"Differences: {shown}"
                )
            if not database_is_empty(using):
                raise BackupError(
                    "This database already holds data. Restore into a new, freshly "
                    "migrated database (`pathways migrate` on an empty one)."
                )
            total, counts = _load(stream, using)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BackupError(f"The backup file could not be read: {exc}") from exc
    if progress:
        for label, count in counts.items():
            progress(label, count)
    return Summary(rows=total, models=len(counts), path=str(path))


def _load(stream: IO[str], using: str) -> tuple[int, dict[str, int]]:
    counts: dict[str, int] = {}
    total = 0
    touched: set[type[Model]] = set()
    connection = connections[using]
    with transaction.atomic(using=using):
        try:
            objects = serializers.deserialize(
                "jsonl", stream, using=using, handle_forward_references=True
            )
            deferred = []
            for obj in objects:
                model = type(obj.object)
                if not router.allow_migrate_model(using, model):
                    continue
                obj.save(using=using)
                if obj.deferred_fields:
                    deferred.append(obj)
                touched.add(model)
                label = model._meta.label_lower
                counts[label] = counts.get(label, 0) + 1
                total += 1
            for obj in deferred:
                obj.save_deferred_fields(using=using)
        except serializers.base.DeserializationError as exc:
            raise BackupError(f"The backup is damaged and was not restored: {exc}") from exc
        # PostgreSQL sequences must move past the restored ids.
        statements = connection.ops.sequence_reset_sql(no_style(), list(touched))
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
    return total, counts
