"""Every write to standards data. Keyword-only arguments, a transaction, the rules, an audit event.

Frameworks load from Pathways' own JSON format (`fixtures/*.json`, see docs/standards.md);
a new edition is an import through `framework_import`, all-or-nothing. A self-assessment
moves draft -> submitted -> finalised: provider managers rate their own organisation's
service, commissioners agree or change each rating with a reason (or send it back to the
provider, with a reason, as a draft again) and finalise. A commissioner assessment moves
draft -> finalised: a commissioner rates any service and finalises it; their ratings are
the agreed ratings, so no separate review step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from pathways.areas.models import Area
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record
from pathways.directory.models import InterventionType, Service

from . import exports, policies
from .checks import CHECKS
from .models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Attachment,
    Checklist,
    ChecklistQuestion,
    EvidenceSource,
    Framework,
    Item,
    ItemKind,
    ItemRating,
    Outcome,
    Rating,
    ReviewDecision,
    RiskTierDefinition,
    TierCriteria,
    TierName,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FRAMEWORK_FIXTURES = (
    "home_office_2023.json",
    "vawdasv_2018.json",
    "csaap_2021.json",
    "respect_2022.json",
)
ASSESSMENT_FIXTURES = ("cardiff_assessments_2020.json",)
FRAMEWORK_FORMAT = "pathways-standards-framework"
ASSESSMENT_FORMAT = "pathways-standards-assessments"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ITEM_FIELDS = ("code", "parent", "kind", "title", "summary")
_FRAMEWORK_LIMITS = {"slug": 60, "version": 30, "edition": 120, "title": 255, "publisher": 255}
_ITEM_LIMITS = {"code": 30, "title": 255, "source_name": 255}

ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024


# --------------------------------------------------------------------------------------
# Frameworks
# --------------------------------------------------------------------------------------


def _str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def framework_validate(payload: Any) -> list[str]:
    """Every problem with a framework file, each naming where it is. Empty when it is valid."""
    if not isinstance(payload, dict):
        return ["The file must hold a JSON object."]
    errors: list[str] = []
    if payload.get("format") != FRAMEWORK_FORMAT or payload.get("format_version") != 1:
        errors.append(f'"format" must be "{FRAMEWORK_FORMAT}" with "format_version": 1.')
    fw = payload.get("framework")
    if not isinstance(fw, dict):
        return [*errors, '"framework" must be an object.']
    if not (_str(fw.get("slug")) and _SLUG.match(fw["slug"]) and len(fw["slug"]) <= 60):
        errors.append("framework.slug: use lower-case letters, digits and hyphens.")
    for key in ("version", "title", "publisher", "source"):
        if not _str(fw.get(key)):
            errors.append(f"framework.{key}: required.")
    for key, limit in _FRAMEWORK_LIMITS.items():
        if isinstance(fw.get(key), str) and len(fw[key]) > limit:
            errors.append(f"framework.{key}: at most {limit} characters.")
    if not isinstance(fw.get("year"), int) or not 1900 <= fw["year"] <= 2100:
        errors.append("framework.year: a year such as 2023.")
    items = payload.get("items")
    if not isinstance(items, list) or not items:
        return [*errors, '"items" must be a non-empty list.']
    seen: set[Any] = set()
    for n, item in enumerate(items):
        where = f"items[{n}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be an object.")
            continue
        code = item.get("code")
        where = f"items[{n}] ({code})" if _str(code) else where
        for key in _ITEM_FIELDS:
            if key == "parent":
                continue
            if not _str(item.get(key)):
                errors.append(f"{where}.{key}: required.")
        for key, limit in _ITEM_LIMITS.items():
            if isinstance(item.get(key), str) and len(item[key]) > limit:
                errors.append(f"{where}.{key}: at most {limit} characters.")
        if _str(code) and code in seen:
            errors.append(f"{where}.code: {code!r} appears more than once.")
        parent = item.get("parent")
        if parent is not None and parent not in seen:
            errors.append(f"{where}.parent: {parent!r} must be an item listed before this one.")
        if item.get("kind") not in ItemKind.values:
            errors.append(f"{where}.kind: one of {', '.join(ItemKind.values)}.")
        if item.get("check", "") not in ("", *CHECKS):
            errors.append(f"{where}.check: unknown check {item.get('check')!r}.")
        applies = item.get("applies_to", [])
        if not isinstance(applies, list) or any(a not in InterventionType.values for a in applies):
            errors.append(f"{where}.applies_to: intervention types such as behaviour_change.")
        if _str(code):
            seen.add(code)
    checklists = payload.get("checklists", [])
    if not isinstance(checklists, list):
        return [*errors, '"checklists" must be a list.']
    keys: set[Any] = set()
    for n, cl in enumerate(checklists):
        where = f"checklists[{n}]"
        if not isinstance(cl, dict):
            errors.append(f"{where}: must be an object.")
            continue
        cl_key: Any = cl.get("key")
        if (
            not (_str(cl_key) and _SLUG.match(cl_key))
            or cl_key == Checklist.DERIVED_KEY
            or cl_key in keys
        ):
            errors.append(f"{where}.key: a unique slug other than {Checklist.DERIVED_KEY!r}.")
        elif len(cl_key) > 40:
            errors.append(f"{where}.key: at most 40 characters.")
        keys.add(cl_key)
        if not _str(cl.get("title")) or len(cl["title"]) > 255:
            errors.append(f"{where}.title: required.")
        questions = cl.get("questions")
        if not isinstance(questions, list) or not questions:
            errors.append(f"{where}.questions: a non-empty list.")
            continue
        qkeys: set[Any] = set()
        for m, q in enumerate(questions):
            qwhere = f"{where}.questions[{m}]"
            if not isinstance(q, dict):
                errors.append(f"{qwhere}: must be an object.")
                continue
            if not _str(q.get("key")) or len(q["key"]) > 60 or q["key"] in qkeys:
                errors.append(f"{qwhere}.key: required and unique in the checklist.")
            qkeys.add(q.get("key"))
            if not _str(q.get("question")):
                errors.append(f"{qwhere}.question: required.")
            codes = q.get("codes", [])
            if not isinstance(codes, list):
                errors.append(f"{qwhere}.codes: a list of item codes.")
                continue
            unknown = [c for c in codes if c not in seen]
            if unknown:
                errors.append(f"{qwhere}.codes: unknown item codes {', '.join(map(str, unknown))}.")
            if q.get("check", "") not in ("", *CHECKS):
                errors.append(f"{qwhere}.check: unknown check {q.get('check')!r}.")
    return errors


def _content_hash(payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _build_framework(framework: Framework, payload: Mapping[str, Any]) -> None:
    items_by_code: dict[str, Item] = {}
    rows = payload["items"]
    created = Item.objects.bulk_create(
        [
            Item(
                framework=framework,
                code=row["code"],
                kind=row["kind"],
                position=n,
                source_name=row.get("source_name", ""),
                title=row["title"],
                summary=row["summary"],
                rule_hint=row.get("rule_hint", ""),
                auto_check=row.get("check", ""),
                applies_to=row.get("applies_to", []),
                related=row.get("related", []),
            )
            for n, row in enumerate(rows)
        ]
    )
    if any(item.pk is None for item in created):  # backends without RETURNING
        created = list(Item.objects.filter(framework=framework).order_by("position"))
    items_by_code = {item.code: item for item in created}
    with_parent = []
    for row in rows:
        if row.get("parent") is not None:
            item = items_by_code[row["code"]]
            item.parent = items_by_code[row["parent"]]
            with_parent.append(item)
    Item.objects.bulk_update(with_parent, ["parent"])
    checklists = list(payload.get("checklists", []))
    if not checklists:
        parents = {row.get("parent") for row in rows}
        checklists = [
            {
                "key": Checklist.DERIVED_KEY,
                "title": "All items",
                "description": "Every item without sub-items, one question each.",
                "questions": [
                    {
                        "key": row["code"],
                        "question": f"{row['code']} {row['title']}",
                        "codes": [row["code"]],
                    }
                    for row in rows
                    if row["code"] not in parents
                ],
            }
        ]
    links: list[Any] = []
    for position, spec in enumerate(checklists):
        checklist = Checklist.objects.create(
            framework=framework,
            key=spec["key"],
            title=spec["title"],
            description=spec.get("description", ""),
            position=position,
        )
        questions = ChecklistQuestion.objects.bulk_create(
            [
                ChecklistQuestion(
                    checklist=checklist,
                    key=q["key"],
                    position=n,
                    question=q["question"],
                    auto_check=q.get("check", ""),
                )
                for n, q in enumerate(spec["questions"])
            ]
        )
        if any(q.pk is None for q in questions):
            questions = list(checklist.questions.order_by("position"))
        for question, q in zip(questions, spec["questions"], strict=True):
            links.extend(
                ChecklistQuestion.items.through(
                    checklistquestion_id=question.pk, item_id=items_by_code[code].pk
                )
                for code in q.get("codes", [])
            )
    ChecklistQuestion.items.through.objects.bulk_create(links)


@transaction.atomic
def framework_import(
    *, payload: Any, actor: Any = None, request: Any = None, audit: bool = True
) -> tuple[Framework, str]:
    """Load one framework edition, all or nothing. Returns it and "created", "updated" or "unchanged".

    Loading the same file again changes nothing. An edition whose content changed is rebuilt
    only while no assessment uses it; otherwise the new content must come as a new version.
    Callers: the demo loader, `pathways standards-import`, administrators.
    """
    errors = framework_validate(payload)
    if errors:
        raise ValidationError(errors)
    fw = payload["framework"]
    digest = _content_hash(payload)
    existing = Framework.objects.filter(slug=fw["slug"], version=fw["version"]).first()
    if existing is not None and existing.content_hash == digest:
        return existing, "unchanged"
    if existing is not None and existing.assessments.exists():
        raise ValidationError(
            [
                f"{fw['slug']} version {fw['version']} is already loaded with different content "
                "and assessments use it; import the new content as a new version."
            ]
        )
    fields = {
        "edition": fw.get("edition", ""),
        "title": fw["title"],
        "publisher": fw["publisher"],
        "year": fw["year"],
        "source": fw["source"],
        "scope": fw.get("scope", ""),
        "notes": fw.get("notes", []),
        "rag_scale": fw.get("rag_scale", {}),
        "content_hash": digest,
    }
    if existing is not None:
        existing.items.all().delete()
        existing.checklists.all().delete()
        for key, value in fields.items():
            setattr(existing, key, value)
        existing.save()
        framework, outcome = existing, "updated"
    else:
        newer = Framework.objects.filter(slug=fw["slug"], year__gt=fw["year"]).exists()
        if not newer:
            Framework.objects.filter(slug=fw["slug"], is_current=True).update(is_current=False)
        framework = Framework.objects.create(
            slug=fw["slug"], version=fw["version"], is_current=not newer, **fields
        )
        outcome = "created"
    _build_framework(framework, payload)
    if audit:
        audit_record(
            actor=actor,
            action=AuditAction.IMPORT,
            object_type="standards_framework",
            object_id=framework.pk,
            detail={"slug": framework.slug, "version": framework.version, "outcome": outcome},
            request=request,
        )
    return framework, outcome


def framework_parse_file(path: Path) -> Any:
    """Read a framework file, turning unreadable JSON into a ValidationError."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError([f"Cannot read {path}: {exc}"]) from exc
    except json.JSONDecodeError as exc:
        raise ValidationError(
            [f"{Path(path).name} is not valid JSON (line {exc.lineno}, column {exc.colno})."]
        ) from exc


def frameworks_load_reference() -> int:
    """Load the bundled frameworks; safe to run again. Returns how many were created or updated."""
    changed = 0
    for name in FRAMEWORK_FIXTURES:
        _, outcome = framework_import(
            payload=framework_parse_file(FIXTURES / name), actor=None, audit=False
        )
        changed += outcome != "unchanged"
    return changed


# --------------------------------------------------------------------------------------
# Assessments
# --------------------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _audit(actor: Any, action: str, assessment: Assessment, request: Any, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="standards_assessment",
        object_id=assessment.pk,
        detail={"service": str(assessment.service_id), **detail},
        request=request,
    )


@transaction.atomic
def assessment_start(
    *,
    actor: Any,
    service: Service,
    checklist: Checklist,
    kind: str | None = None,
    request: Any = None,
) -> Assessment:
    """Start an assessment of a service against a checklist.

    `kind` defaults to what the actor leads (`policies.assessment_kind_for`): a provider
    manager of the service's organisation starts a self-assessment, a commissioner a
    commissioner assessment (of any service). Administrators may start either.
    """
    kind = kind or policies.assessment_kind_for(actor, service.organisation_id)
    if kind is None or not policies.can_start_assessment(actor, service.organisation_id, kind):
        raise PermissionDenied(
            "Only the service's own provider managers can start its self-assessment, "
            "and only commissioners a commissioner assessment."
        )
    if service.deleted_at is not None:
        raise ValidationError({"checklist": ["This service has been removed from the directory."]})
    Service.objects.select_for_update().filter(pk=service.pk).first()
    open_ = Assessment.objects.filter(
        service=service,
        checklist=checklist,
        status__in=[AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED],
    )
    if open_.exists():
        raise ValidationError(
            {
                "checklist": [
                    "This service already has an assessment against that checklist in progress."
                ]
            }
        )
    last = Assessment.objects.filter(service=service).aggregate(n=Max("number"))["n"] or 0
    previous = (
        Assessment.objects.filter(
            service=service,
            checklist__framework__slug=checklist.framework.slug,
            status=AssessmentStatus.FINALISED,
        )
        .order_by("-finalised_at")
        .first()
    )
    assessment = Assessment.objects.create(
        service=service,
        framework=checklist.framework,
        checklist=checklist,
        number=last + 1,
        kind=kind,
        previous=previous,
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    ItemRating.objects.bulk_create(
        [
            ItemRating(assessment=assessment, question=question, position=question.position)
            for question in checklist.questions.order_by("position")
        ]
    )
    _audit(
        actor,
        AuditAction.CREATE,
        assessment,
        request,
        checklist=checklist.key,
        framework=f"{checklist.framework.slug} {checklist.framework.version}",
        kind=kind,
    )
    return assessment


def _validate_rating(
    *, status: str, evidence_sources: Sequence[str], review_date: dt.date | None
) -> None:
    errors: dict[str, list[str]] = {}
    if status not in Rating.values:
        errors["status"] = ["Select a rating"]
    unknown = [s for s in evidence_sources if s not in EvidenceSource.values]
    if unknown:
        errors["evidence_sources"] = [f"Unknown source of evidence: {', '.join(unknown)}"]
    if status == Rating.AMBER and review_date is None:
        errors["review_date"] = ["Enter the date by which an amber item should be green"]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rating_update(
    *,
    actor: Any,
    rating: ItemRating,
    status: str,
    finding: str,
    evidence_sources: Sequence[str],
    evidence_note: str = "",
    review_date: dt.date | None = None,
    request: Any = None,
) -> ItemRating:
    """Record the rating, finding and evidence for one question of a draft.

    The assessor's rating: the provider's in a self-assessment, the commissioner's in a
    commissioner assessment. A self-assessment sent back keeps the commissioner's review of
    each question until the provider changes that question; then it must be reviewed again.
    """
    rating = ItemRating.objects.select_related("assessment__service").get(pk=rating.pk)
    _require(
        policies.can_edit_assessment(actor, rating.assessment),
        "Only a draft can be changed, by whoever leads the assessment.",
    )
    _validate_rating(status=status, evidence_sources=evidence_sources, review_date=review_date)
    sources = [s for s in EvidenceSource.values if s in set(evidence_sources)]
    new_date = review_date if status == Rating.AMBER else None
    changed = (rating.status, rating.finding, rating.evidence_sources, rating.review_date) != (
        status,
        finding.strip(),
        sources,
        new_date,
    )
    rating.status = status
    rating.finding = finding.strip()
    rating.evidence_sources = sources
    rating.evidence_note = evidence_note.strip()
    rating.review_date = new_date
    if changed and rating.decision:
        rating.decision = ""
        rating.agreed_status = ""
        rating.review_reason = ""
        rating.reviewed_by = None
        rating.reviewed_at = None
    rating.save()
    _audit(
        actor,
        AuditAction.UPDATE,
        rating.assessment,
        request,
        question=rating.question.key,
        status=status,
    )
    return rating


# Content sniffing: the first bytes decide the type, never the name or the browser's claim.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def attachment_sniff(content: bytes) -> str | None:
    """The content type of an allowed upload (PDF, PNG, JPEG, DOCX, XLSX, plain text), or None."""
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    if content.startswith(b"PK\x03\x04"):
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            for prefix, content_type in _OOXML.items():
                if any(name.startswith(prefix) for name in names):
                    return content_type
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    return "text/plain"


@transaction.atomic
def attachment_add(
    *, actor: Any, rating: ItemRating, filename: str, content: bytes, request: Any = None
) -> Attachment:
    """Attach a file (checked by content and size) to one rating of a draft."""
    rating = ItemRating.objects.select_related("assessment__service").get(pk=rating.pk)
    _require(
        policies.can_edit_assessment(actor, rating.assessment),
        "Only a draft can be changed, by whoever leads the assessment.",
    )
    limit = getattr(settings, "STANDARDS_ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES)
    if not content:
        raise ValidationError({"file": ["The selected file is empty"]})
    if len(content) > limit:
        raise ValidationError(
            {"file": [f"The selected file must be smaller than {limit // (1024 * 1024)}MB"]}
        )
    content_type = attachment_sniff(content)
    if content_type is None:
        raise ValidationError(
            {
                "file": [
                    "The selected file must be a PDF, Word document, spreadsheet, image or text file"
                ]
            }
        )
    attachment = Attachment(
        rating=rating,
        original_name=Path(filename or "attachment").name[:255],
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    attachment.file.save("upload", ContentFile(content), save=False)
    attachment.save()
    _audit(
        actor,
        AuditAction.CREATE,
        rating.assessment,
        request,
        attachment=str(attachment.pk),
        question=rating.question.key,
    )
    return attachment


@transaction.atomic
def attachment_delete(*, actor: Any, attachment: Attachment, request: Any = None) -> None:
    """Remove an attachment from a draft; the stored file goes once the transaction commits."""
    attachment = Attachment.objects.select_related("rating__assessment__service").get(
        pk=attachment.pk
    )
    assessment = attachment.rating.assessment
    _require(
        policies.can_edit_assessment(actor, assessment),
        "Only a draft can be changed, by whoever leads the assessment.",
    )
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))
    _audit(actor, AuditAction.DELETE, assessment, request, attachment=str(attachment.pk))


def _completeness_errors(assessment: Assessment) -> list[str]:
    """Every question rated, every amber dated, every amber and red explained."""
    errors = []
    for rating in assessment.ratings.select_related("question").order_by("position"):
        label = rating.question.question
        if rating.status == Rating.NOT_RATED:
            errors.append(f"Rate “{label}”")
        elif rating.status == Rating.AMBER and rating.review_date is None:
            errors.append(f"Enter a review date for the amber item “{label}”")
        elif rating.status in (Rating.RED, Rating.AMBER) and not rating.finding:
            errors.append(f"Explain the finding for “{label}”")
    return errors


@transaction.atomic
def assessment_submit(*, actor: Any, assessment: Assessment, request: Any = None) -> Assessment:
    """Send a draft to the commissioners. Every question needs a rating; ambers a review date."""
    assessment = (
        Assessment.objects.select_for_update().select_related("service").get(pk=assessment.pk)
    )
    _require(
        policies.can_submit_assessment(actor, assessment),
        "Only a draft self-assessment can be submitted, by the service's own provider managers.",
    )
    errors = _completeness_errors(assessment)
    if errors:
        raise ValidationError(errors)
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.submitted_by = actor if getattr(actor, "is_authenticated", False) else None
    assessment.save()
    _audit(actor, AuditAction.UPDATE, assessment, request, status=assessment.status)
    return assessment


@transaction.atomic
def rating_review(
    *,
    actor: Any,
    rating: ItemRating,
    decision: str,
    agreed_status: str = "",
    reason: str = "",
    review_date: dt.date | None = None,
    request: Any = None,
) -> ItemRating:
    """A commissioner agrees with a rating or changes it, giving a reason for any change."""
    rating = ItemRating.objects.select_related("assessment__service").get(pk=rating.pk)
    _require(
        policies.can_review_assessment(actor, rating.assessment),
        "Only commissioners can review, and only a submitted self-assessment.",
    )
    errors: dict[str, list[str]] = {}
    if decision not in ReviewDecision.values:
        errors["decision"] = ["Select whether you agree with the rating"]
    reason = reason.strip()
    final = rating.status
    if decision == ReviewDecision.CHANGED:
        if agreed_status not in Rating.values:
            errors["agreed_status"] = ["Select the rating you give"]
        elif agreed_status == rating.status:
            errors["agreed_status"] = ["Select a rating different from the provider's, or agree"]
        final = agreed_status
        if not reason:
            errors["reason"] = ["Enter the reason for changing the rating"]
    if final == Rating.AMBER and review_date is None and rating.review_date is None:
        errors["review_date"] = ["Enter the date by which an amber item should be green"]
    if errors:
        raise ValidationError(errors)
    rating.decision = decision
    rating.agreed_status = final
    rating.review_reason = reason
    if final == Rating.AMBER:
        rating.review_date = review_date or rating.review_date
    rating.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
    rating.reviewed_at = timezone.now()
    rating.save()
    _audit(
        actor,
        AuditAction.APPROVE if decision == ReviewDecision.AGREED else AuditAction.UPDATE,
        rating.assessment,
        request,
        question=rating.question.key,
        decision=decision,
        from_status=rating.status,
        to_status=final,
    )
    return rating


@transaction.atomic
def assessment_return(
    *, actor: Any, assessment: Assessment, reason: str, request: Any = None
) -> Assessment:
    """Send a submitted self-assessment back to the provider as a draft, with a reason.

    The provider sees the reason, edits and submits again. Reviews already given are kept
    for the questions the provider leaves unchanged.
    """
    assessment = (
        Assessment.objects.select_for_update().select_related("service").get(pk=assessment.pk)
    )
    _require(
        policies.can_review_assessment(actor, assessment),
        "Only commissioners can send back, and only a submitted self-assessment.",
    )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Enter the reason for sending it back"]})
    if len(reason) > 2000:
        raise ValidationError({"reason": ["The reason must be 2000 characters or fewer"]})
    assessment.status = AssessmentStatus.DRAFT
    assessment.returned_at = timezone.now()
    assessment.returned_by = actor if getattr(actor, "is_authenticated", False) else None
    assessment.return_reason = reason
    assessment.save()
    _audit(actor, AuditAction.REJECT, assessment, request, status=assessment.status, reason=reason)
    return assessment


@transaction.atomic
def assessment_finalise(*, actor: Any, assessment: Assessment, request: Any = None) -> Assessment:
    """Finalise an assessment. Any red means it does not meet the standard.

    A submitted self-assessment needs every question reviewed. A commissioner assessment is
    finalised from its draft by a commissioner: it must be complete (as a submission
    would), and the commissioner's ratings become the agreed ratings.
    """
    assessment = (
        Assessment.objects.select_for_update().select_related("service").get(pk=assessment.pk)
    )
    _require(
        policies.can_finalise_assessment(actor, assessment),
        "Only commissioners can finalise: a submitted self-assessment, or their own assessment.",
    )
    ratings = list(assessment.ratings.select_related("question").order_by("position"))
    if assessment.kind == AssessmentKind.COMMISSIONER:
        errors = _completeness_errors(assessment)
        if errors:
            raise ValidationError(errors)
        for rating in ratings:
            rating.agreed_status = rating.status
        ItemRating.objects.bulk_update(ratings, ["agreed_status"])
    else:
        errors = [f"Review “{r.question.question}”" for r in ratings if not r.decision] + [
            f"Enter a review date for the amber item “{r.question.question}”"
            for r in ratings
            if r.decision and r.final_status == Rating.AMBER and r.review_date is None
        ]
        if errors:
            raise ValidationError(errors)
    assessment.outcome = (
        Outcome.DOES_NOT_MEET
        if any(r.final_status == Rating.RED for r in ratings)
        else Outcome.MEETS
    )
    assessment.status = AssessmentStatus.FINALISED
    assessment.finalised_at = timezone.now()
    assessment.finalised_by = actor if getattr(actor, "is_authenticated", False) else None
    assessment.save()
    _audit(actor, AuditAction.APPROVE, assessment, request, outcome=assessment.outcome)
    return assessment


def assessment_export(
    *, actor: Any, assessment: Assessment, fmt: str, request: Any = None
) -> exports.ExportFile:
    """Build a PDF or XLSX of an assessment the caller may read, and audit the export."""
    _require(policies.can_read_assessment(actor, assessment), "You cannot read this assessment.")
    export = exports.render(assessment, fmt)
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="standards_assessment",
        object_id=assessment.pk,
        detail={"format": fmt, "filename": export.filename},
        request=request,
    )
    return export


# --------------------------------------------------------------------------------------
# Published assessments (demo data)
# --------------------------------------------------------------------------------------


@transaction.atomic
def published_assessments_load(*, filename: str = ASSESSMENT_FIXTURES[0]) -> int:
    """Load worked assessments from a published review onto their directory services.

    Idempotent: an assessment already loaded (by its external reference) is left alone; a
    service missing from the directory is skipped. Returns how many were created.
    """
    payload = framework_parse_file(FIXTURES / filename)
    if payload.get("format") != ASSESSMENT_FORMAT:
        raise ValidationError([f"{filename} is not a {ASSESSMENT_FORMAT} file"])
    source = payload["source"]
    citation = f"{source['title']}, {source['publisher']}, {source['year']}, {source['detail']}"
    created = 0
    for spec in payload["assessments"]:
        ref = f"{Path(filename).stem}:{spec['service_ref']}"
        if Assessment.objects.filter(external_ref=ref).exists():
            continue
        service = Service.objects.filter(external_ref=spec["service_ref"]).first()
        if service is None:
            continue
        checklist = Checklist.objects.get(
            framework__slug=spec["framework"],
            framework__version=spec["framework_version"],
            key=spec["checklist"],
        )
        questions = {q.key: q for q in checklist.questions.all()}
        last = Assessment.objects.filter(service=service).aggregate(n=Max("number"))["n"] or 0
        has_red = any(r["status"] == Rating.RED for r in spec["ratings"])
        finalised_at = dt.datetime(source["year"], 11, 1, tzinfo=dt.UTC)
        assessment = Assessment.objects.create(
            service=service,
            framework=checklist.framework,
            checklist=checklist,
            number=last + 1,
            kind=AssessmentKind.PUBLISHED,
            status=AssessmentStatus.FINALISED,
            outcome=Outcome.DOES_NOT_MEET if has_red else Outcome.MEETS,
            summary=spec.get("summary", ""),
            source=citation[:500],
            external_ref=ref,
            submitted_at=finalised_at,
            finalised_at=finalised_at,
        )
        ItemRating.objects.bulk_create(
            [
                ItemRating(
                    assessment=assessment,
                    question=questions[row["question"]],
                    position=n,
                    status=row["status"],
                    agreed_status=row["status"],
                    finding=row["finding"],
                    evidence_sources=row["evidence_sources"],
                    evidence_note=row.get("evidence_note", ""),
                )
                for n, row in enumerate(spec["ratings"])
            ]
        )
        created += 1
    return created


# --------------------------------------------------------------------------------------
# Risk-tier definitions
# --------------------------------------------------------------------------------------

CRITERIA_FIELDS = (
    "requires_intensive_case_management",
    "requires_multi_agency_links",
    "requires_integrated_victim_support",
    "min_duration_weeks",
    "accepted_referral_routes",
)


@transaction.atomic
def tier_definition_save(
    *,
    actor: Any,
    area: Area,
    title: str,
    notes: str = "",
    criteria: Mapping[str, Mapping[str, Any]],
    request: Any = None,
    check_actor: bool = True,
) -> RiskTierDefinition:
    """Record an area's agreed criteria for standard, medium and high risk (commissioners, admins)."""
    if check_actor:
        _require(
            policies.can_edit_tier_definitions(actor),
            "Only commissioners can change risk-tier definitions.",
        )
    errors: list[str] = []
    if not title.strip():
        errors.append("Enter a title")
    for tier, values in criteria.items():
        if tier not in TierName.values:
            errors.append(f"Unknown tier {tier!r}")
            continue
        unknown = set(values) - set(CRITERIA_FIELDS)
        if unknown:
            errors.append(f"{tier}: unknown criteria {', '.join(sorted(unknown))}")
        weeks = values.get("min_duration_weeks")
        if weeks is not None and (not isinstance(weeks, int) or not 0 < weeks <= 260):
            errors.append(f"{tier}: the minimum duration must be between 1 and 260 weeks")
    if errors:
        raise ValidationError(errors)
    definition, _ = RiskTierDefinition.objects.update_or_create(
        area=area,
        defaults={
            "title": title.strip(),
            "notes": notes.strip(),
            "updated_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    for tier, values in criteria.items():
        TierCriteria.objects.update_or_create(
            definition=definition,
            tier=tier,
            defaults={
                "requires_intensive_case_management": bool(
                    values.get("requires_intensive_case_management")
                ),
                "requires_multi_agency_links": bool(values.get("requires_multi_agency_links")),
                "requires_integrated_victim_support": bool(
                    values.get("requires_integrated_victim_support")
                ),
                "min_duration_weeks": values.get("min_duration_weeks"),
                "accepted_referral_routes": sorted(values.get("accepted_referral_routes") or []),
            },
        )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="risk_tier_definition",
        object_id=definition.pk,
        detail={"area": area.slug, "tiers": sorted(criteria)},
        request=request,
    )
    return definition


DEMO_TIER_DEFINITION: dict[str, dict[str, Any]] = {
    "standard": {
        "accepted_referral_routes": [
            "self",
            "police",
            "probation",
            "health",
            "childrens-social-care",
            "housing",
        ]
    },
    "medium": {
        "requires_integrated_victim_support": True,
        "min_duration_weeks": 22,
        "requires_multi_agency_links": True,
    },
    "high": {
        "requires_intensive_case_management": True,
        "requires_multi_agency_links": True,
        "requires_integrated_victim_support": True,
        "accepted_referral_routes": ["marac", "police", "probation"],
    },
}


def demo_tier_definition_load(*, area_slug: str = "west-yorkshire") -> RiskTierDefinition | None:
    """A synthetic demonstration definition for an area, unless one is already recorded."""
    area = Area.objects.filter(slug=area_slug).first()
    if area is None or RiskTierDefinition.objects.filter(area=area).exists():
        return None
    return tier_definition_save(
        actor=None,
        area=area,
        title=f"{area.name} risk tiers (demonstration, not an agreed definition)",
        notes="Synthetic example made by pathways load_demo to show how tier claims are checked.",
        criteria=DEMO_TIER_DEFINITION,
        check_actor=False,
    )


def standards_load_demo() -> dict[str, int]:
    """Demo data for standards: the Cardiff worked assessments and a demo tier definition."""
    assessments = published_assessments_load()
    definition = demo_tier_definition_load()
    return {"assessments": assessments, "tier_definitions": int(definition is not None)}
