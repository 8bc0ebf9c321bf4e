"""Forms for the front door's pages, with GOV.UK error wording.

Forms only parse input. The rules (the policy in force, unknown answers, an override
needing a reason, which services may be sent to, which statuses allow what) are enforced in
`services.triage`; the views put its errors back on these forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms

from .models import ReferralStatus
from .reference import RiskTier

NO_DETAILS_HINT = "Do not include names, addresses or contact details."
ANSWER_PREFIX = "answer_"

# Status filter values beyond the statuses themselves.
STATUS_OPEN = "open"
STATUS_ALL = "all"
TIER_NONE = "none"

TRIAGE_SORTS = {
    "oldest": "Longest waiting first",
    "newest": "Newest first",
    "overdue": "Overdue first",
    "tier": "Highest risk first",
    "status": "Status",
}


class TriageFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            (STATUS_OPEN, "Waiting for the front door"),
            (STATUS_ALL, "All statuses"),
            *ReferralStatus.choices,
        ],
    )
    area = forms.ChoiceField(label="Area", required=False)
    tier = forms.ChoiceField(
        label="Risk tier",
        required=False,
        choices=[("", "All tiers"), *RiskTier.choices, (TIER_NONE, "Not triaged yet")],
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=list(TRIAGE_SORTS.items()))

    def __init__(self, *args: Any, areas: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "All areas"), *areas]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The filters to apply; anything unreadable falls back to the default queue."""
        defaults = {
            "status": STATUS_OPEN,
            "area": "",
            "tier": "",
            "overdue": False,
            "sort": "oldest",
        }
        if not self.is_bound or not self.is_valid():
            return defaults
        data = self.cleaned_data
        return {
            "status": data["status"] or STATUS_OPEN,
            "area": data["area"],
            "tier": data["tier"],
            "overdue": bool(data["overdue"]),
            "sort": data["sort"] or "oldest",
        }


class TriageForm(forms.Form):
    """The checklist of the risk policy in force (one checkbox per question), an optional
    RFG score, and an optional override of the computed tier."""

    rfg_score = forms.IntegerField(
        label="Recency, frequency and gravity (RFG) score (optional)",
        help_text="From 0 to 100, if a MATAC or perpetrator panel has scored this person.",
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "data-govuk-width": "3"}),
        error_messages={
            "invalid": "RFG score must be a whole number from 0 to 100",
            "min_value": "RFG score must be a whole number from 0 to 100",
            "max_value": "RFG score must be a whole number from 0 to 100",
        },
    )
    tier_override = forms.ChoiceField(
        label="Change the tier (optional)",
        help_text="Leave this as it is to use the tier the checklist gives. If you choose a "
        "different tier, say why.",
        required=False,
        choices=[("", "Use the computed tier"), *RiskTier.choices],
        error_messages={"invalid_choice": "Select a risk tier from the list"},
    )
    override_reason = forms.CharField(
        label="Why are you changing the tier?",
        help_text="Needed when you choose a tier different from the computed one. "
        + NO_DETAILS_HINT,
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Reason must be 2000 characters or fewer"},
    )

    def __init__(self, *args: Any, questions: Iterable[Mapping[str, Any]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.question_names: list[str] = []
        extra: dict[str, forms.Field] = {}
        for question in questions:
            name = ANSWER_PREFIX + question["code"]
            hint = (question.get("help") or "").strip()
            if hint and not hint.endswith((".", "?", "!")):
                hint += "."
            weight = f"Weight {question['weight']}."
            extra[name] = forms.BooleanField(
                label=question["text"],
                help_text=f"{hint} {weight}" if hint else weight,
                required=False,
            )
            self.question_names.append(name)
        # The checklist comes first on the page.
        self.fields = {**extra, **self.fields}

    def question_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.question_names]

    def answers(self) -> dict[str, bool]:
        """{question code: answered yes} for every question of the policy."""
        return {
            name[len(ANSWER_PREFIX) :]: bool(self.cleaned_data.get(name))
            for name in self.question_names
        }


class SendForm(forms.Form):
    service = forms.ChoiceField(
        label="Service",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select a service to send the referral to",
            "invalid_choice": "Select a service that was eligible in the latest match",
        },
    )

    def __init__(self, *args: Any, services: Iterable[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = list(services)  # type: ignore[attr-defined]


class SignpostForm(forms.Form):
    note = forms.CharField(
        label="Where did you signpost the person?",
        help_text="For example, a national helpline or a service outside the partnership. "
        "The referrer is told the referral is closed. " + NO_DETAILS_HINT,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter where you signposted the person",
            "max_length": "Note must be 2000 characters or fewer",
        },
    )


class NoSuitableServiceForm(forms.Form):
    reason = forms.CharField(
        label="Why is no service suitable?",
        help_text="This is counted as unmet need, so commissioners can see the gap. "
        + NO_DETAILS_HINT,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter why no service is suitable",
            "max_length": "Reason must be 2000 characters or fewer",
        },
    )


class FrontDoorWithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing this referral?",
        help_text="The referrer, and any service it was sent to, are told it is withdrawn. "
        + NO_DETAILS_HINT,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter why you are withdrawing this referral",
            "max_length": "Reason must be 1000 characters or fewer",
        },
    )
