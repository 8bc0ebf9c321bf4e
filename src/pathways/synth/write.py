"""Write a synthetic `Plan` into the database with bulk inserts, in one transaction.

This is the one place that writes to other apps' tables without their services: the
audited one-by-one paths (`directory.services.service_create`, `referrals.services.intake`)
would take hours at national scale and would fill the audit trail with invented events.
So instead every row is labelled synthetic, and one audit event records the generation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction

from pathways.accounts.models import Membership, User
from pathways.areas.models import Area
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record
from pathways.core.demo import load_reference
from pathways.directory.models import (
    Location,
    Organisation,
    ProvenanceSource,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceClaim,
    TaxonomyTerm,
)
from pathways.panels.models import Incident, IncidentImport, IncidentImportStatus
from pathways.referrals.models import Child, Referral, StatusChange, UnmetNeed, VictimSurvivor

from .geography import SYN
from .incidents import IncidentRow, force_areas
from .plan import Plan, ReferralRow, rng_for, uuid_from

BATCH = 2_000
REFERRAL_BATCH = 5_000
INCIDENT_BATCH = 20_000


class SynthRefusedError(Exception):
    """The database already holds data from `pathways synth`, or this is production."""


@dataclass
class SynthReport:
    scale: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def existing_synthetic_data() -> dict[str, int]:
    """What an earlier `pathways synth` left in this database (empty when nothing)."""
    found = {
        "areas": Area.objects.filter(slug__startswith=SYN).count(),
        "organisations": Organisation.objects.filter(slug__startswith=SYN).count(),
        "services": Service.objects.filter(external_ref__startswith="synth-").count(),
        "users": User.objects.filter(username__startswith=SYN).count(),
    }
    return {k: v for k, v in found.items() if v}


@contextmanager
def _planned_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk inserts keep the created_at/updated_at the plan gives (a referral made
    eight months ago says so), by switching auto_now off for the duration."""
    switched: list[tuple[Any, bool, bool]] = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                switched.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in switched:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _bulk(model: type[models.Model], rows: Sequence[models.Model]) -> int:
    for start in range(0, len(rows), BATCH):
        model._default_manager.bulk_create(rows[start : start + BATCH], batch_size=BATCH)
    return len(rows)


_NEEDS_PREP = (
    models.UUIDField,
    models.DateTimeField,
    models.DateField,
    models.JSONField,
    models.DecimalField,
)


def _needs_prep(f: models.Field) -> bool:
    if isinstance(f, models.ForeignKey):
        return isinstance(f.target_field, _NEEDS_PREP)
    return isinstance(f, _NEEDS_PREP)


def _sqlite_datetime(value: dt.datetime, _conn: Any) -> str:
    # What SQLite's adapt_datetimefield_value stores for an aware datetime, without its
    # per-call settings look-ups: naive UTC, str() format.
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _sqlite_uuid(value: uuid.UUID, _conn: Any) -> str:
    return value.hex


def _sqlite_json(value: Any, _conn: Any) -> str:
    return json.dumps(value)


def _converter(f: models.Field) -> Any:
    """The function turning a value of `f` into what the backend stores."""
    if connection.vendor == "sqlite":
        target = f.target_field if isinstance(f, models.ForeignKey) else f
        if isinstance(target, models.UUIDField):
            return _sqlite_uuid
        if isinstance(target, models.DateTimeField):
            return _sqlite_datetime
        if isinstance(target, models.JSONField) and target.encoder is None:
            return _sqlite_json
    return f.get_db_prep_save


class _Inserter:
    """INSERT many rows of one model with `executemany`, for the tables that run to
    hundreds of thousands of rows. `bulk_create` spends most of its time building model
    instances and compiling SQL per batch; this prepares each value once, with the
    field's own `get_db_prep_save` where the backend needs a conversion (UUIDs, dates,
    JSON), so what lands in the table is what the ORM would have written."""

    def __init__(self, model: type[models.Model]):
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if not isinstance(f, models.AutoField | models.BigAutoField)
        ]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.preps = [(f.attname, _converter(f) if _needs_prep(f) else None) for f in self.fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = connection.ops.quote_name(model._meta.db_table)
        # Names come from the model's own metadata, never from input.
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608

    def insert(self, rows: Sequence[dict[str, Any]]) -> int:
        defaults = self.defaults
        conn = connections[DEFAULT_DB_ALIAS]  # the real object: `connection` is a proxy
        values = []
        for row in rows:
            out = []
            for attname, prep in self.preps:
                value = row[attname] if attname in row else defaults[attname]
                out.append(prep(value, conn) if prep is not None and value is not None else value)
            values.append(out)
        with connection.cursor() as cursor:
            for start in range(0, len(values), 10_000):
                cursor.executemany(self.sql, values[start : start + 10_000])
        return len(rows)


def _model_fields(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def synth_write(plan: Plan, *, progress: Any = None) -> SynthReport:
    """Write `plan` (see `synth.plan.build_plan`). Development and demo modes only; refuses
    when the database already holds synthetic data from an earlier run."""
    if not settings.DEMO_MODE:
        raise SynthRefusedError(
            "pathways synth makes invented data: it runs only when PATHWAYS_ENV is "
            "development or demo, never in production."
        )
    existing = existing_synthetic_data()
    if existing:
        summary = ", ".join(f"{n} {k}" for k, n in existing.items())
        raise SynthRefusedError(
            f"This database already holds data from pathways synth ({summary}). Nothing was "
            "changed. Generate into a fresh database instead, for example:\n"
            "  DATABASE_URL=sqlite:///var/synth.sqlite3 pathways migrate\n"
            "  DATABASE_URL=sqlite:///var/synth.sqlite3 pathways synth --scale small"
        )
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    report = SynthReport(scale=plan.scale.name, seed=plan.seed)
    load_reference()
    with (
        transaction.atomic(),
        _planned_timestamps(
            Area,
            Organisation,
            Service,
            ServiceClaim,
            ServiceArea,
            Location,
            ServiceAtLocation,
            Membership,
            Referral,
            VictimSurvivor,
            Child,
            IncidentImport,
        ),
    ):
        if connection.vendor == "sqlite":
            # Sorting pending index work in memory makes big inserts much quicker.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -200000")
        area_ids = _write_areas(plan, report)
        say(f"areas: {report.counts['areas']}")
        _write_directory(plan, report, area_ids)
        say(f"services: {report.counts['services']}")
        user_ids = _write_users(plan, report)
        _write_referrals(plan, report, area_ids, user_ids, say)
        say(f"referrals: {report.counts['referrals']}")
        _write_incidents(plan, report, area_ids, say)
        say(f"incidents: {report.counts['incidents']}")
        audit_record(
            actor=None,
            action=AuditAction.IMPORT,
            object_type="synthetic_data",
            object_id=f"{plan.scale.name}:{plan.seed}",
            detail={"scale": plan.scale.name, "seed": plan.seed, **report.counts},
        )
    report.seconds = time.perf_counter() - started
    return report


def _write_areas(plan: Plan, report: SynthReport) -> dict[str, int]:
    when = plan.as_of
    _bulk(
        Area,
        [
            Area(
                slug=a.slug,
                name=a.name,
                kind=a.kind,
                code="",
                name_cy=a.name_cy,
                created_at=when,
                updated_at=when,
            )
            for a in plan.geography.areas
        ],
    )
    ids = dict(Area.objects.values_list("slug", "id"))
    through = Area.parents.through
    _bulk(
        through,
        [
            through(from_area_id=ids[a.slug], to_area_id=ids[p])
            for a in plan.geography.areas
            for p in a.parents
        ],
    )
    report.counts["areas"] = len(plan.geography.areas)
    report.counts["districts"] = len(plan.geography.districts)
    return ids


def _write_directory(plan: Plan, report: SynthReport, area_ids: dict[str, int]) -> None:
    when = plan.as_of
    _bulk(
        Organisation,
        [
            Organisation(
                id=o.id,
                slug=o.slug,
                name=o.name,
                kind=o.kind,
                description=o.description,
                is_synthetic=True,
                created_at=when,
                updated_at=when,
            )
            for o in plan.organisations
        ],
    )
    report.counts["organisations"] = len(plan.organisations)
    service_fields = _model_fields(Service)
    services = []
    for row in plan.services:
        values = {k: v for k, v in row.fields.items() if k in service_fields}
        services.append(
            Service(
                id=row.id,
                organisation_id=row.organisation_id,
                external_ref=row.external_ref,
                provenance_source=ProvenanceSource.SYNTHETIC,
                provenance_recorded_at=when,
                created_at=when,
                updated_at=when,
                **values,
            )
        )
    report.counts["services"] = _bulk(Service, services)
    report.counts["claims"] = _bulk(
        ServiceClaim,
        [
            ServiceClaim(
                service_id=row.id,
                dimension=dimension,
                value=value,
                evidence_level=level,
                created_at=when,
                updated_at=when,
            )
            for row in plan.services
            for dimension, (value, level) in sorted(row.claims.items())
        ],
    )
    ids_rng = rng_for(plan.seed, "service-areas")
    report.counts["service_areas"] = _bulk(
        ServiceArea,
        [
            ServiceArea(
                id=uuid_from(ids_rng),
                service_id=row.id,
                area_id=area_ids[slug],
                created_at=when,
                updated_at=when,
            )
            for row in plan.services
            for slug in row.areas
        ],
    )
    terms = {
        f"{taxonomy}:{code}": term_id
        for taxonomy, code, term_id in TaxonomyTerm.objects.values_list(
            "taxonomy__slug", "code", "id"
        )
    }
    through = Service.taxonomy_terms.through
    report.counts["service_terms"] = _bulk(
        through,
        [
            through(service_id=row.id, taxonomyterm_id=terms[code])
            for row in plan.services
            for code in row.terms
            if code in terms  # a vocabulary not loaded in this version is left out
        ],
    )
    located = [row for row in plan.services if row.location]
    org_of = {row.id: row.organisation_id for row in located}
    _bulk(
        Location,
        [
            Location(
                organisation_id=org_of[row.id],
                created_at=when,
                updated_at=when,
                **row.location,  # type: ignore[arg-type]
            )
            for row in located
        ],
    )
    report.counts["service_locations"] = _bulk(
        ServiceAtLocation,
        [
            ServiceAtLocation(
                id=uuid_from(ids_rng),
                service_id=row.id,
                location_id=row.location["id"],  # type: ignore[index]
                created_at=when,
                updated_at=when,
            )
            for row in located
        ],
    )


def _write_users(plan: Plan, report: SynthReport) -> dict[str, int]:
    # Synthetic staff cannot sign in: no usable password. The same hash for all is fine,
    # since it can never match; it also keeps the data the same for a seed.
    unusable = make_password(None, salt="synthetic")
    _bulk(
        User,
        [
            User(
                username=u.username,
                first_name=u.first_name,
                last_name="(synthetic)",
                email=f"{u.username}@example.invalid",
                password=unusable,
            )
            for u in plan.users
        ],
    )
    ids = dict(User.objects.filter(username__startswith=SYN).values_list("username", "id"))
    orgs = dict(Organisation.objects.filter(slug__startswith=SYN).values_list("slug", "id"))
    _bulk(
        Membership,
        [
            Membership(
                user_id=ids[u.username],
                organisation_id=orgs[u.organisation_slug],
                role=u.role,
                created_at=plan.as_of,
                updated_at=plan.as_of,
            )
            for u in plan.users
        ],
    )
    report.counts["users"] = len(plan.users)
    return ids


def _write_referrals(
    plan: Plan, report: SynthReport, area_ids: dict[str, int], user_ids: dict[str, int], say: Any
) -> None:
    orgs = dict(Organisation.objects.filter(slug__startswith=SYN).values_list("slug", "id"))
    referral_fields = {f.attname for f in Referral._meta.concrete_fields}
    inserters = {
        name: _Inserter(model)
        for name, model in (
            ("referrals", Referral),
            ("status_changes", StatusChange),
            ("victim_survivors", VictimSurvivor),
            ("children", Child),
            ("unmet_needs", UnmetNeed),
        )
    }
    totals = dict.fromkeys(inserters, 0)
    stream = plan.referrals()
    while True:
        batch: list[ReferralRow] = list(islice(stream, REFERRAL_BATCH))
        if not batch:
            break
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in inserters}
        for row in batch:
            values = {k: v for k, v in row.fields.items() if k in referral_fields}
            values.update(
                id=row.id,
                area_id=area_ids[row.area],
                referrer_id=user_ids.get(row.referrer),
                referrer_organisation_id=orgs.get(row.referrer_organisation),
                sent_service_id=row.sent_service,
                is_synthetic=True,
            )
            rows["referrals"].append(values)
            rows["status_changes"].extend(
                {"referral_id": row.id, "from_status": f, "to_status": t, "at": at}
                for f, t, at in row.history
            )
            created = row.fields["created_at"]
            stamps = {"referral_id": row.id, "created_at": created, "updated_at": created}
            rows["victim_survivors"].extend(stamps | v for v in row.victims)
            rows["children"].extend(stamps | c for c in row.children)
            if row.unmet:
                rows["unmet_needs"].append(
                    {"referral_id": row.id, "area_id": area_ids[row.area], "is_synthetic": True}
                    | row.unmet
                )
        for name, inserter in inserters.items():
            totals[name] += inserter.insert(rows[name])
        if totals["referrals"] % 50_000 == 0:
            say(f"referrals: {totals['referrals']}")
    report.counts.update(totals)


def _write_incidents(plan: Plan, report: SynthReport, area_ids: dict[str, int], say: Any) -> None:
    """Police incidents, one synthetic import per force area, inserted in batches.

    A million rows at national scale, so values are adapted for the backend once (every row
    has the same timestamps, and there are about 1,100 distinct dates), not field by field.
    """
    when = plan.as_of
    imports: dict[str, int] = {}
    for slug, _districts in force_areas(plan):
        imports[slug] = IncidentImport.objects.create(
            area_id=area_ids[slug],
            file_name="synthetic incidents (pathways synth)",
            sha256=hashlib.sha256(
                f"synth:{plan.scale.name}:{plan.seed}:{slug}".encode()
            ).hexdigest(),
            file_format="synthetic",
            status=IncidentImportStatus.SUCCEEDED,
            is_synthetic=True,
            finished_at=when,
            created_at=when,
            updated_at=when,
        ).pk
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(when)
    dates: dict[dt.date, Any] = {}
    fields = [
        "area",
        "source_import",
        "source_row",
        "incident_ref",
        "perpetrator_ref",
        "victim_ref",
        "occurred_on",
        "category",
        "domestic_abuse",
        "created_at",
        "updated_at",
    ]
    table = ops.quote_name(Incident._meta.db_table)
    names = ", ".join(ops.quote_name(Incident._meta.get_field(f).column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Names come from the model's own metadata, never from input.
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
    area_of = {slug: area_ids[slug] for slug in imports}
    rows_in: dict[str, int] = dict.fromkeys(imports, 0)
    total = 0
    stream = plan.incidents()
    with connection.cursor() as cursor:
        while True:
            batch: list[IncidentRow] = list(islice(stream, INCIDENT_BATCH))
            if not batch:
                break
            values = []
            for area, ref, perpetrator, victim, day, category, domestic in batch:
                rows_in[area] += 1
                occurred = dates.get(day)
                if occurred is None:
                    occurred = dates[day] = ops.adapt_datefield_value(day)
                values.append(
                    (
                        area_of[area],
                        imports[area],
                        # As if each force's extract listed its incidents in this order.
                        rows_in[area] + 1,
                        ref,
                        perpetrator,
                        victim,
                        occurred,
                        category,
                        domestic,
                        stamp,
                        stamp,
                    )
                )
            cursor.executemany(sql, values)
            total += len(values)
            if total % 200_000 == 0:
                say(f"incidents: {total}")
    for slug, pk in imports.items():
        IncidentImport.objects.filter(pk=pk).update(
            total_rows=rows_in[slug], processed_rows=rows_in[slug], created_count=rows_in[slug]
        )
    report.counts["incidents"] = total
