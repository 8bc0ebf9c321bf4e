"""Provider pages, mounted at /referrals/provider/: the inbox of referrals sent to the
organisation's services, a referral's details, and accept / decline / first contact.

Every page uses the PROVIDER_RESPONSE policy; which referrals a person sees is decided by
`selectors.referrals.referral_list_for_provider`, so another organisation's referral is a
404. Opening a referral's details is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required

from ..forms_routing import AcceptForm, DeclineForm, FirstContactForm, ProviderFilterForm
from ..models import Referral, ReferralStatus
from ..policies import PROVIDER_RESPONSE
from ..reference import Need
from ..selectors.referrals import referral_get_for_provider, referral_list_for_provider
from ..selectors.timers import Timers, referral_timers
from ..services.routing import (
    can_record_first_contact,
    referral_accept,
    referral_decline,
    referral_record_first_contact,
    referral_view_record,
)

PAGE_SIZE = 20

# Keys into the component layer's tag colours (core/templatetags/govuk.py).
STATUS_TAG_KEYS: dict[str, str] = {
    ReferralStatus.RECEIVED: "queued",
    ReferralStatus.TRIAGED: "running",
    ReferralStatus.MATCHED: "running",
    ReferralStatus.SENT: "pending",
    ReferralStatus.ACCEPTED: "approved",
    ReferralStatus.DECLINED: "rejected",
    ReferralStatus.SIGNPOSTED: "no",
    ReferralStatus.NO_SUITABLE_SERVICE: "failed",
    ReferralStatus.WITHDRAWN: "withdrawn",
}
OVERDUE_TAG_KEY = "stale"


def format_duration(value: dt.timedelta | None) -> str:
    """A duration as people say it: '3 days', '5 hours', 'less than an hour'."""
    if value is None:
        return ""
    days, hours = value.days, value.seconds // 3600
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "less than an hour"


@dataclass(frozen=True)
class Row:
    """One referral in a list, with its timers worked out once."""

    referral: Referral
    timers: Timers
    tag_key: str
    waiting: str
    to_first_contact: str


def rows_for(referrals: Any, *, now: dt.datetime) -> list[Row]:
    """List rows for a page of referrals (no queries beyond the page itself)."""
    rows = []
    for referral in referrals:
        timers = referral_timers(referral, now=now)
        rows.append(
            Row(
                referral=referral,
                timers=timers,
                tag_key=STATUS_TAG_KEYS.get(referral.status, ""),
                waiting=format_duration(timers.waiting),
                to_first_contact=format_duration(timers.to_first_contact),
            )
        )
    return rows


def add_service_errors(form: BaseForm, exc: ValidationError, targets: dict[str, str]) -> None:
    """Put a service's ValidationError on the form, on the field it concerns where possible."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        target = targets.get(key, key)
        form.add_error(target if target in form.fields else None, errors)


def _status(form: BaseForm) -> int:
    return 400 if form.is_bound and form.errors else 200


def _inbox(user: Any, status: str) -> QuerySet[Referral]:
    """Waiting referrals first (longest waiting at the top), then decided ones, newest first."""
    qs = referral_list_for_provider(user=user)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        waiting_rank=Case(
            When(status=ReferralStatus.SENT, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by(
        "waiting_rank",
        F("sent_at").asc(nulls_last=True),
        F("decided_at").desc(nulls_last=True),
        "reference",
    )


@policy_required(PROVIDER_RESPONSE)
@require_GET
def provider_list(request: HttpRequest) -> HttpResponse:
    form = ProviderFilterForm(request.GET or None)
    status = form.status_filter() if form.is_bound else ""
    page = Paginator(_inbox(request.user, status), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/provider/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows_for(page.object_list, now=timezone.now()),
            "overdue_tag_key": OVERDUE_TAG_KEY,
            "filtered": bool(status),
        },
    )


def _choice_labels(codes: list[str], choices: Any) -> str:
    labels = dict(choices)
    return ", ".join(str(labels.get(code, code)) for code in codes)


def details_sections(referral: Referral, *, with_victim_contact: bool) -> list[dict[str, Any]]:
    """What was submitted, as titled summary lists. Triage reasoning is never part of it."""
    dob = (
        dateformat.format(referral.person_date_of_birth, "j F Y")
        if referral.person_date_of_birth
        else ""
    )
    age = f"{referral.person_age}" if referral.person_age is not None else ""
    person = [
        ("Name", referral.person_name),
        ("Date of birth", dob or (f"Not known (age {age})" if age else "Not known")),
        ("Gender", referral.get_person_gender_display()),
        ("Postcode", referral.person_postcode),
        ("Area", referral.area.name),
        (
            "Language",
            referral.language + (" (interpreter needed)" if referral.interpreter_needed else ""),
        ),
        ("Accessibility needs", referral.accessibility_needs),
        ("Other needs", _choice_labels(referral.needs, Need.choices)),
    ]
    contact = [
        ("Phone", referral.contact_phone),
        ("Email", referral.contact_email),
        ("Safe ways to contact", ", ".join(referral.contact_methods)),
        ("Safe times", referral.safe_times),
        ("Safe to leave a voicemail", referral.get_voicemail_safe_display()),
        ("Safe to send a text", referral.get_text_safe_display()),
        ("Safe word", referral.safe_word),
    ]
    situation = [
        ("What is happening", referral.account),
        ("Relationship", referral.get_relationship_display()),
        ("Abuse types", ", ".join(referral.abuse_types)),
        ("Children in the household", referral.get_children_in_household_display()),
        ("What is known of risk", referral.risk_known),
        ("Heard at MARAC", "Yes" if referral.marac_heard else "No"),
        ("Lawful basis for sharing", referral.get_lawful_basis_display()),
        ("Consent", referral.get_consent_status_display()),
        ("Reason for referring without consent", referral.consent_reason),
    ]
    sections: list[dict[str, Any]] = [
        {"title": "Person referred", "rows": person},
        {"title": "Contacting the person safely", "rows": contact},
        {"title": "What is happening", "rows": situation},
    ]
    for index, victim in enumerate(referral.victims.all(), start=1):
        rows = [
            ("Name", victim.name),
            ("Relationship to the person", victim.get_relationship_display()),
            ("Lives with the person", victim.get_lives_with_person_display()),
            ("Knows of this referral", victim.get_knows_of_referral_display()),
        ]
        if with_victim_contact:
            rows += [
                ("Phone", victim.contact_phone),
                ("Email", victim.contact_email),
                ("Safe times", victim.safe_times),
                ("Safe to leave a voicemail", victim.get_voicemail_safe_display()),
                ("Making contact safely", victim.contact_notes),
            ]
        sections.append({"title": f"Victim-survivor {index}", "rows": rows, "victim": True})
    for index, child in enumerate(referral.children.all(), start=1):
        sections.append(
            {
                "title": f"Child {index}",
                "rows": [
                    ("Age", "" if child.age is None else str(child.age)),
                    ("Lives with the person", child.get_lives_with_person_display()),
                    ("Children's social care involved", child.get_social_care_involved_display()),
                    ("Notes", child.notes),
                ],
            }
        )
    for section in sections:
        section["rows"] = [(key, value or "Not given") for key, value in section["rows"]]
    return sections


def history_rows(referral: Referral, *, show_note: Any) -> list[dict[str, Any]]:
    """The status history, oldest first, with each note only where `show_note(change)` says."""
    return [
        {
            "at": change.at,
            "label": change.get_to_status_display(),
            "note": change.reason if show_note(change) else "",
        }
        for change in referral.status_changes.all()
    ]


def detail_context(referral: Referral) -> dict[str, Any]:
    """What every referral detail page shows the same way: timers, status tag and the
    submitted details (with the victim-survivor's safe-contact details)."""
    timers = referral_timers(referral)
    return {
        "referral": referral,
        "timers": timers,
        "waiting": format_duration(timers.waiting),
        "to_first_contact": format_duration(timers.to_first_contact),
        "tag_key": STATUS_TAG_KEYS.get(referral.status, ""),
        "overdue_tag_key": OVERDUE_TAG_KEY,
        # Perpetrator-side staff read this page: a victim-survivor's safe-contact details
        # go only to the support side (standard 2.2), through the support case.
        "sections": details_sections(referral, with_victim_contact=False),
    }


@policy_required(PROVIDER_RESPONSE)
@require_GET
def provider_detail(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_provider(user=request.user, reference=reference)
    referral_view_record(
        actor=request.user, referral=referral, audience="provider", request=request
    )
    return render(
        request,
        "referrals/provider/detail.html",
        {
            **detail_context(referral),
            "history": history_rows(referral, show_note=lambda change: True),
            "can_decide": referral.status == ReferralStatus.SENT,
            "can_record_contact": can_record_first_contact(request.user, referral),
        },
    )


@policy_required(PROVIDER_RESPONSE)
@require_http_methods(["GET", "POST"])
def provider_accept(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_provider(user=request.user, reference=reference)
    form = AcceptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            referral_accept(
                actor=request.user,
                referral=referral,
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"status": "__all__"})
        else:
            messages.success(request, f"You accepted referral {referral.reference}")
            return redirect("referrals:provider-detail", reference=referral.reference)
    return render(
        request,
        "referrals/provider/accept.html",
        {"referral": referral, "form": form},
        status=_status(form),
    )


@policy_required(PROVIDER_RESPONSE)
@require_http_methods(["GET", "POST"])
def provider_decline(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_provider(user=request.user, reference=reference)
    form = DeclineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            referral_decline(
                actor=request.user,
                referral=referral,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"status": "__all__"})
        else:
            messages.success(
                request,
                f"You declined referral {referral.reference}. It has gone back to the front door.",
            )
            return redirect("referrals:provider-list")
    return render(
        request,
        "referrals/provider/decline.html",
        {"referral": referral, "form": form},
        status=_status(form),
    )


@policy_required(PROVIDER_RESPONSE)
@require_http_methods(["GET", "POST"])
def provider_contact(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_provider(user=request.user, reference=reference)
    correcting = referral.first_contact_at is not None
    initial = {}
    if correcting:
        local = timezone.localtime(referral.first_contact_at)
        initial = {"date": local.date(), "time": local.time().replace(second=0, microsecond=0)}
    form = FirstContactForm(
        request.POST if request.method == "POST" else None, correcting=correcting, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral_record_first_contact(
                actor=request.user,
                referral=referral,
                at=form.at(),
                correction_reason=form.cleaned_data.get("correction_reason", ""),
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"at": "date", "status": "__all__"})
        else:
            messages.success(request, f"First contact recorded for referral {referral.reference}")
            return redirect("referrals:provider-detail", reference=referral.reference)
    return render(
        request,
        "referrals/provider/contact.html",
        {
            "referral": referral,
            "form": form,
            "correcting": correcting,
            "allowed": can_record_first_contact(request.user, referral),
        },
        status=_status(form),
    )


urlpatterns = [
    path("", provider_list, name="provider-list"),
    path("<str:reference>/", provider_detail, name="provider-detail"),
    path("<str:reference>/accept/", provider_accept, name="provider-accept"),
    path("<str:reference>/decline/", provider_decline, name="provider-decline"),
    path("<str:reference>/first-contact/", provider_contact, name="provider-contact"),
]
