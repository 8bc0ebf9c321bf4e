"""The agency referral form, mounted at /referrals/new/ (REFER policy).

Victim-survivors and children are formsets. "Add another" is an ordinary submit button that
re-renders the page with one more blank form, so the page works without JavaScript. A signed
form token (tied to the signed-in user) is the idempotency key: sending the same page twice
makes one referral. On success the referrer lands on the referral's page with a banner.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from pathways.accounts.access import policy_required
from pathways.core.templatetags.govuk import govuk_error_summary

from ..forms_intake import (
    AGENCY_TOKEN_MAX_AGE,
    AgencyReferralForm,
    ChildFormSet,
    FormTokenError,
    FormTokenExpiredError,
    VictimSurvivorFormSet,
    form_token_issue,
    form_token_nonce,
)
from ..policies import REFER
from ..services.intake import IdempotencyConflictError, referral_submit

TEMPLATE = "referrals/agency/new.html"
VICTIMS = "victims"
CHILDREN = "children"
ADD_ACTIONS = {"victim": VICTIMS, "child": CHILDREN}

EXPIRED_MESSAGE = (
    "This form was open for more than a day, so it was not sent. Check the answers and send "
    "it again."
)
FORGED_MESSAGE = "Something went wrong sending this form. Check the answers and send it again."
VICTIM_NEEDED = (
    "Enter the name of at least one victim-survivor, or answer ‘No’ to ‘Is there a known "
    "victim-survivor?’"
)


def _purpose(request: HttpRequest) -> str:
    return f"agency-referral:{request.user.pk}"


def _forms(data: Any = None, *, token: str = "") -> tuple[Any, Any, Any]:
    initial = {"form_token": token} if token else None
    form = AgencyReferralForm(data, initial=initial)
    victims = VictimSurvivorFormSet(data, prefix=VICTIMS)
    children = ChildFormSet(data, prefix=CHILDREN)
    return form, victims, children


def _quiet(form: AgencyReferralForm, *formsets: forms.BaseFormSet) -> None:
    """Show what was typed without judging it yet (after "Add another")."""
    # Django computes errors lazily into these attributes; setting them empty means "checked,
    # nothing to say" until the referrer sends the form.
    for each in (form, *[f for formset in formsets for f in formset.forms]):
        each._errors = ErrorDict()  # type: ignore[attr-defined]
        each.cleaned_data = {}
    for formset in formsets:
        formset._errors = []  # type: ignore[attr-defined]
        formset._non_form_errors = formset.error_class()  # type: ignore[attr-defined]


def _render(
    request: HttpRequest, form: Any, victims: Any, children: Any, *, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "victims": victims,
        "children": children,
        # One error summary for the page, the component layer's own list.
        "errors": govuk_error_summary(form, *victims.forms, *children.forms)["errors"],
    }
    return render(request, TEMPLATE, context, status=status)


def _apply_service_errors(
    exc: ValidationError, form: AgencyReferralForm, victim_forms: list[forms.Form]
) -> None:
    """Put intake's messages on the fields they are about."""
    for key, messages_ in exc.message_dict.items():
        for message in messages_:
            if key.startswith(f"{VICTIMS}-"):
                _, index, field = key.split("-", 2)
                position = int(index)
                if position < len(victim_forms) and field in victim_forms[position].fields:
                    victim_forms[position].add_error(field, message)
                    continue
            if key in form.fields:
                form.add_error(key, message)
            else:
                form.add_error(None, message)


@policy_required(REFER)
@never_cache
@require_http_methods(["GET", "POST"])
def agency_new(request: HttpRequest) -> HttpResponse:
    """Make an agency referral."""
    if request.method == "GET":
        form, victims, children = _forms(token=form_token_issue(purpose=_purpose(request)))
        return _render(request, form, victims, children)

    add = ADD_ACTIONS.get(request.POST.get("add", ""))
    if add:
        data = request.POST.copy()
        formset_class = VictimSurvivorFormSet if add == VICTIMS else ChildFormSet
        try:
            total = int(data.get(f"{add}-TOTAL_FORMS", "1"))
        except ValueError:
            total = 1
        data[f"{add}-TOTAL_FORMS"] = str(min(max(total, 0) + 1, formset_class.max_num))
        form, victims, children = _forms(data)
        _quiet(form, victims, children)
        return _render(request, form, victims, children)

    form, victims, children = _forms(request.POST)
    try:
        nonce = form_token_nonce(
            request.POST.get("form_token", ""),
            purpose=_purpose(request),
            max_age=AGENCY_TOKEN_MAX_AGE,
        )
    except FormTokenError as exc:
        data = request.POST.copy()
        data["form_token"] = form_token_issue(purpose=_purpose(request))
        form, victims, children = _forms(data)
        expired = isinstance(exc, FormTokenExpiredError)
        form.add_error(None, EXPIRED_MESSAGE if expired else FORGED_MESSAGE)
        victims.is_valid()
        children.is_valid()
        return _render(request, form, victims, children, status=400)

    # Evaluate all three so every error shows at once.
    valid = [form.is_valid(), victims.is_valid(), children.is_valid()]
    victim_forms = victims.filled_forms() if valid[1] else []
    if valid[0] and valid[1] and form.cleaned_data["victims_known"] == "yes" and not victim_forms:
        victims.forms[0].add_error("name", VICTIM_NEEDED)
        valid.append(False)
    if not all(valid):
        return _render(request, form, victims, children, status=400)

    data = form.to_input(
        victims=[each.to_input() for each in victim_forms],
        children=[each.to_input() for each in children.filled_forms()],
    )
    try:
        referral, _created = referral_submit(
            actor=request.user, data=data, idempotency_key=f"form:{nonce}", request=request
        )
    except IdempotencyConflictError as exc:
        form.add_error(
            None,
            f"This form was already sent as referral {exc.referral.reference}, with different "
            "answers. To change that referral, contact the front door. To refer someone else, "
            "start a new referral.",
        )
        return _render(request, form, victims, children, status=409)
    except ValidationError as exc:
        _apply_service_errors(exc, form, victim_forms)
        return _render(request, form, victims, children, status=400)
    messages.success(request, f"Referral {referral.reference} sent to the front door")
    return redirect(reverse("referrals:referrer-detail", kwargs={"reference": referral.reference}))


urlpatterns = [
    path("new/", agency_new, name="agency-new"),
]
