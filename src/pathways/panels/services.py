"""Writes for recency-frequency-gravity scoring: importing police incident extracts, saving
the partnership's scoring configuration, and scoring an area. Each is audited.

Audit events use the generic actions (import, create, update) with the specifics in
`detail`; details carry counts, versions and hashes, never a pseudonymised id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from typing import Any

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from pathways.areas.models import Area
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from . import rfg
from .incident_files import ParsedIncidents, RowError, parse_incidents
from .models import (
    Incident,
    IncidentImport,
    IncidentImportStatus,
    RFGScore,
    RFGScoreRun,
    ScoringConfig,
)
from .policies import can_configure_rfg, can_import_incidents, can_run_rfg
from .selectors import incident_frame, scoring_config_in_force

WRITE_BATCH = 5_000
Say = Callable[[str], None]
IdentityKey = tuple[str, str, str, dt.date, str]


class IncidentImportError(Exception):
    """An extract that was refused: nothing was imported. `errors` are RowErrors and
    `incident_import` is the failed import, recorded with them."""

    def __init__(self, incident_import: IncidentImport, errors: list[RowError]):
        shown = "; ".join(str(e) for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"Nothing was imported: {shown}{more}")
        self.incident_import = incident_import
        self.errors = errors


# --------------------------------------------------------------------------------------
# Importing incidents
# --------------------------------------------------------------------------------------


def incidents_import(
    *,
    actor: Any,
    area: Area,
    file_name: str,
    content: bytes,
    request: Any = None,
) -> IncidentImport:
    """Import a police incident extract (CSV or XLSX) for an area, all or nothing.

    Panel chairs and administrators (or the system, actor None, for commands). Every row is
    checked first (progress is saved on the import as it goes); any bad row, or a category
    the gravity table in force does not weigh, fails the whole file with row-level errors
    and raises IncidentImportError. Rows already stored for the area are counted as already
    present and left alone, so importing the same extract again changes nothing.
    """
    if actor is not None and not can_import_incidents(actor):
        raise PermissionDenied("Only panel chairs and administrators can import incidents")
    config, _stored = scoring_config_in_force(area_id=area.pk)
    job = IncidentImport.objects.create(
        area=area,
        file_name=(file_name or "incidents")[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        created_by=actor,
    )

    def progress(done: int, total: int) -> None:
        job.processed_rows, job.total_rows = done, total
        job.save(update_fields=["processed_rows", "total_rows", "updated_at"])

    parsed = parse_incidents(content, categories=config.gravity_table, progress=progress)
    job.file_format = parsed.format
    job.total_rows = parsed.total_rows
    if parsed.errors:
        _finish(job, status=IncidentImportStatus.FAILED, errors=parsed.errors, request=request)
        raise IncidentImportError(job, parsed.errors)
    try:
        with transaction.atomic():
            created, present, conflicts = _write_incidents(job, parsed)
            if conflicts:
                # Roll back whatever was written: all or nothing.
                raise _ConflictError(conflicts)
    except _ConflictError as exc:
        _finish(job, status=IncidentImportStatus.FAILED, errors=exc.errors, request=request)
        raise IncidentImportError(job, exc.errors) from None
    except IntegrityError:
        errors = [
            RowError(
                None,
                "file",
                "incidents for this area were imported at the same moment; nothing was "
                "imported, so import the file again",
            )
        ]
        _finish(job, status=IncidentImportStatus.FAILED, errors=errors, request=request)
        raise IncidentImportError(job, errors) from None
    return _finish(
        job,
        status=IncidentImportStatus.SUCCEEDED,
        created=created,
        already_present=present,
        request=request,
    )


class _ConflictError(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("conflicts")
        self.errors = errors


def _write_incidents(
    job: IncidentImport, parsed: ParsedIncidents
) -> tuple[int, int, list[RowError]]:
    """Insert the rows not already stored for the area; count the ones that are."""
    # Serialise imports into one area (PostgreSQL; SQLite allows one writer anyway).
    Area.objects.select_for_update().filter(pk=job.area_id).first()
    existing: dict[IdentityKey, bool] = {}
    if parsed.date:
        for ref, perpetrator, victim, day, category, domestic in Incident.objects.filter(
            area_id=job.area_id,
            occurred_on__gte=min(parsed.date),
            occurred_on__lte=max(parsed.date),
        ).values_list(
            "incident_ref",
            "perpetrator_ref",
            "victim_ref",
            "occurred_on",
            "category",
            "domestic_abuse",
        ):
            existing[(ref, perpetrator, victim, day, category)] = domestic
    now = timezone.now()
    new: list[Incident] = []
    present = 0
    conflicts: list[RowError] = []
    for row, ref, perpetrator, victim, day, category, domestic in zip(
        parsed.source_rows,
        parsed.incident_ref,
        parsed.perpetrator_id,
        parsed.victim_id,
        parsed.date,
        parsed.category,
        parsed.domestic_abuse,
        strict=True,
    ):
        stored = existing.get((ref, perpetrator, victim, day, category))
        if stored is not None:
            if stored != domestic:
                conflicts.append(
                    RowError(
                        row,
                        "domestic_abuse",
                        "this incident was imported before with the domestic-abuse flag "
                        f"{'yes' if stored else 'no'}; an import never changes a stored incident",
                    )
                )
            present += 1
            continue
        new.append(
            Incident(
                area_id=job.area_id,
                source_import=job,
                source_row=row,
                incident_ref=ref,
                perpetrator_ref=perpetrator,
                victim_ref=victim,
                occurred_on=day,
                category=category,
                domestic_abuse=domestic,
                created_at=now,
                updated_at=now,
            )
        )
    if conflicts:
        return 0, present, conflicts
    for start in range(0, len(new), WRITE_BATCH):
        Incident.objects.bulk_create(new[start : start + WRITE_BATCH])
    return len(new), present, conflicts


def _finish(
    job: IncidentImport,
    *,
    status: str,
    errors: list[RowError] | None = None,
    created: int = 0,
    already_present: int = 0,
    request: Any = None,
) -> IncidentImport:
    job.status = status
    job.errors = [e.as_dict() for e in errors or []]
    job.created_count = created
    job.already_present_count = already_present
    if status == IncidentImportStatus.SUCCEEDED:
        job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save()
    audit_record(
        actor=job.created_by,
        action=AuditAction.IMPORT,
        object_type="incident_import",
        object_id=job.pk,
        detail={
            "area": job.area.slug,
            "status": status,
            "format": job.file_format,
            "sha256": job.sha256,
            "rows": job.total_rows,
            "created": created,
            "already_present": already_present,
            "errors": len(job.errors),
        },
        request=request,
    )
    return job


# --------------------------------------------------------------------------------------
# Scoring configuration
# --------------------------------------------------------------------------------------


def scoring_config_save(
    *,
    actor: Any,
    area: Area,
    definition: Any,
    name: str,
    source_note: str = "",
    request: Any = None,
) -> ScoringConfig:
    """Save a new version of an area's RFG scoring configuration, in force from now.

    Commissioners, panel chairs and administrators (or the system, actor None). The
    definition is the JSON shape of `rfg.ScoringConfig` (keys left out take the default);
    an invalid one, or one whose gravity table leaves out a category of the area's stored
    incidents, raises ValidationError and changes nothing.
    """
    if actor is not None and not can_configure_rfg(actor):
        raise PermissionDenied(
            "Only commissioners, panel chairs and administrators can change RFG scoring"
        )
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Enter a name for the scoring configuration"]
    config: rfg.ScoringConfig | None = None
    try:
        config = rfg.ScoringConfig.from_json(definition)
    except rfg.ScoringConfigError as exc:
        errors["definition"] = exc.problems
    if config is not None:
        used = set(Incident.objects.filter(area=area).values_list("category", flat=True).distinct())
        missing = sorted(used - set(config.gravity_table))
        if missing:
            errors["definition"] = [
                "the gravity table leaves out categories of incidents already imported for "
                f"this area: {', '.join(missing)}"
            ]
    if errors or config is None:
        raise ValidationError(errors)
    with transaction.atomic():
        # Lock the area so two saves cannot both take the next version number.
        Area.objects.select_for_update().filter(pk=area.pk).first()
        latest = ScoringConfig.objects.filter(area=area).aggregate(v=Max("version"))["v"] or 0
        stored = ScoringConfig.objects.create(
            area=area,
            name=name[:200],
            version=latest + 1,
            definition=config.to_json(),
            source_note=source_note,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="rfg_scoring_config",
            object_id=stored.pk,
            detail={
                "area": area.slug,
                "version": stored.version,
                "categories": len(config.gravity_table),
                "window_days": config.window_days,
            },
            request=request,
        )
    return stored


# --------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------


def rfg_score_run(
    *,
    actor: Any,
    area: Area,
    as_of: dt.date,
    progress: Say | None = None,
    request: Any = None,
) -> RFGScoreRun:
    """Score every perpetrator with incidents in an area at reference date `as_of`, with
    the configuration in force, and store the ranked scores. Panel chairs and
    administrators (or the system, actor None).

    One query loads the window's incidents into Polars and `rfg.score` ranks them in one
    vectorised pass. An incident category the gravity table does not weigh raises
    ValidationError and stores nothing.
    """
    if actor is not None and not can_run_rfg(actor):
        raise PermissionDenied("Only panel chairs and administrators can score incidents")
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    config, stored = scoring_config_in_force(area_id=area.pk)
    frame = incident_frame(area_ids=[area.pk], start=config.window_start(as_of), end=as_of)
    say(f"loaded {frame.height} incidents in the window")
    try:
        scored = rfg.score(frame, as_of=as_of, config=config)
    except rfg.IncidentFrameError as exc:
        raise ValidationError(str(exc)) from exc
    say(f"scored {scored.height} people")
    considered = (
        frame.filter(pl.col("domestic_abuse")).height
        if config.domestic_abuse_only
        else frame.height
    )
    with transaction.atomic():
        run = RFGScoreRun.objects.create(
            area=area,
            as_of=as_of,
            config=stored,
            config_snapshot=config.to_json(),
            incidents_considered=considered,
            perpetrators_scored=scored.height,
            created_by=actor,
        )
        batch: list[RFGScore] = []
        for row in scored.iter_rows(named=True):
            batch.append(
                RFGScore(
                    run=run,
                    rank=row["rank"],
                    perpetrator_ref=row["perpetrator_id"],
                    rfg=row["rfg"],
                    recency=row["recency"],
                    frequency=row["frequency"],
                    gravity=row["gravity"],
                    victims=row["victims"],
                    incidents=row["incidents"],
                    distinct_victims=row["distinct_victims"],
                    gravity_weight=row["gravity_weight"],
                    latest_incident_on=row["latest_incident"],
                )
            )
            if len(batch) >= WRITE_BATCH:
                RFGScore.objects.bulk_create(batch)
                batch = []
        RFGScore.objects.bulk_create(batch)
        run.seconds = time.perf_counter() - started
        run.save(update_fields=["seconds", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="rfg_score_run",
            object_id=run.pk,
            detail={
                "area": area.slug,
                "as_of": as_of.isoformat(),
                "config_version": stored.version if stored else "default",
                "incidents": considered,
                "perpetrators": scored.height,
            },
            request=request,
        )
    say(f"stored {scored.height} scores")
    return run
