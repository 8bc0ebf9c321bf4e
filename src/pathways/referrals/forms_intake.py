"""Forms for referrals made through web pages: the public self-referral and the agency form.

Each form turns what a person typed into the intake service's `ReferralInput`; the rules
that decide whether a referral may be recorded stay in `services.intake`. A form only
checks what a person can put right on the page (a missing answer, a malformed phone
number), in the Design System's wording, so the public pages can say it in Welsh too.

Both forms carry a signed form token. It expires, and the random value inside it is the
idempotency key, so a double click or a retry of the same page makes one referral.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, cast

from django import forms
from django.core import signing
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pathways.areas.selectors import area_list_districts
from pathways.directory.models import COHORT_DIMENSIONS, ClaimDimension, TaxonomyTerm

from .models import ReferralChannel, ReferralRoute
from .reference import ConsentStatus, Gender, LawfulBasis, Need, Relationship, SafeAnswer
from .services.intake import ChildInput, ReferralInput, VictimInput

# --- Form tokens -------------------------------------------------------------------------

SELF_REFERRAL_TOKEN_MAX_AGE = 4 * 60 * 60  # long enough to write an account, then retry
AGENCY_TOKEN_MAX_AGE = 24 * 60 * 60  # a referrer may keep the form open over a shift
_SIGNING_NAMESPACE = "pathways.referrals.form-token"


class FormTokenError(Exception):
    """The form token is missing, altered or issued for someone else."""


class FormTokenExpiredError(FormTokenError):
    """The form token was genuine but is too old."""


def form_token_issue(*, purpose: str) -> str:
    """A signed token for one form page: a fresh random value, timestamped."""
    return signing.dumps({"n": secrets.token_urlsafe(16)}, salt=f"{_SIGNING_NAMESPACE}:{purpose}")


def form_token_nonce(token: str, *, purpose: str, max_age: int) -> str:
    """The random value inside a token this site issued for `purpose` within `max_age` seconds."""
    try:
        payload = signing.loads(
            token or "", salt=f"{_SIGNING_NAMESPACE}:{purpose}", max_age=max_age
        )
    except signing.SignatureExpired:
        raise FormTokenExpiredError from None
    except signing.BadSignature:
        raise FormTokenError from None
    nonce = payload.get("n") if isinstance(payload, dict) else None
    if not isinstance(nonce, str) or not nonce:
        raise FormTokenError
    return nonce


# --- Shared pieces -----------------------------------------------------------------------

_PHONE_RE = re.compile(r"^\+?\d{10,15}$")
_PHONE_STRIP_RE = re.compile(r"[\s().-]")
_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$")

# Extra attributes: no browser autofill history of what is typed here, because the
# device may be shared with the person the form is about.
NO_AUTOFILL = {"autocomplete": "off"}


def _clean_phone(value: str, message: Any) -> str:
    value = (value or "").strip()
    if value and not _PHONE_RE.match(_PHONE_STRIP_RE.sub("", value)):
        raise forms.ValidationError(message)
    return value


def _districts() -> list[tuple[str, int, str]]:
    """(slug, id, name) of every district, named in Welsh on Welsh pages where we can."""
    welsh = (get_language() or "").startswith("cy")
    return [
        (area.slug, area.id, area.name_cy if welsh and area.name_cy else area.name)
        for area in area_list_districts()
    ]


def _term_choices(taxonomy: str, *, exclude: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [
        (code, name)
        for code, name in TaxonomyTerm.objects.filter(taxonomy__slug=taxonomy)
        .exclude(code__in=exclude)
        .order_by("sort_order", "name")
        .values_list("code", "name")
    ]


class TextInput(forms.TextInput):
    """A text input that tells browsers not to remember what was typed."""

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs={**NO_AUTOFILL, **(attrs or {})})


class _TokenMixin(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def _choice_field(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])


# --- Public self-referral ------------------------------------------------------------------

ELSEWHERE = "elsewhere"
OTHER_LANGUAGE = "other"
# Stored when the person names a language the list does not have (ISO 639-2 "undetermined");
# the language they named goes into the accessibility needs.
UNDETERMINED_LANGUAGE = "und"

LANGUAGE_CHOICES = [
    ("en", _("English")),
    ("cy", _("Welsh")),
    ("ar", _("Arabic")),
    ("bn", _("Bengali")),
    ("bfi", _("British Sign Language")),
    ("zh", _("Chinese")),
    ("fa", _("Farsi (Persian)")),
    ("fr", _("French")),
    ("gu", _("Gujarati")),
    ("ku", _("Kurdish")),
    ("lt", _("Lithuanian")),
    ("ps", _("Pashto")),
    ("pl", _("Polish")),
    ("pt", _("Portuguese")),
    ("pa", _("Punjabi")),
    ("ro", _("Romanian")),
    ("so", _("Somali")),
    ("es", _("Spanish")),
    ("ta", _("Tamil")),
    ("tr", _("Turkish")),
    ("ur", _("Urdu")),
    (OTHER_LANGUAGE, _("Another language")),
]

CHILDREN_CHOICES = [
    (SafeAnswer.YES, _("Yes")),
    (SafeAnswer.NO, _("No")),
    (SafeAnswer.NOT_SURE, _("I would rather not say")),
]

# Messages the self-referral can show, kept together so the Welsh catalogue test finds them.
SELF_REFERRAL_MESSAGES = {
    "area_required": _("Select the area where you live"),
    "area_elsewhere": _(
        "We can only take self-referrals from people who live in the areas listed. Wherever "
        "you live, you can call the Respect Phoneline on 0808 802 4040 for confidential advice."
    ),
    "contact_required": _("Enter a phone number or an email address so we can contact you"),
    "phone_invalid": _("Enter a phone number, like 01632 960 001 or 07700 900 982"),
    "email_invalid": _("Enter an email address in the correct format, like name@example.com"),
    "voicemail_required": _(
        "Select whether it is safe to leave a voicemail on the number you gave"
    ),
    "text_required": _("Select whether it is safe to send a text message to the number you gave"),
    "children_required": _("Select whether any children live with you"),
    "language_required": _("Select the language you would like us to use"),
    "other_language_required": _("Enter the language you would like us to use"),
    "too_long": _("Your answer must be %(limit_value)d characters or fewer"),
    "token_expired": _(
        "This page was open for a long time, so for your security we did not send it. "
        "Check your answers and select ‘Send’ again."
    ),
    "token_invalid": _("Something went wrong sending this form. Check your answers and try again."),
    "honeypot": _("We could not send this form. Check your answers and try again."),
    "rate_limited": _(
        "We have had several forms from this connection in the last hour, so we did not send "
        "this one. Nothing you typed has been saved. Please try again later, or call the "
        "Respect Phoneline on 0808 802 4040 to talk to someone now."
    ),
    "not_sent": _("We could not send this form. Check your answers and try again."),
}


def _too_long() -> dict[str, Any]:
    return {"max_length": SELF_REFERRAL_MESSAGES["too_long"]}


class SelfReferralForm(_TokenMixin):
    """Only what the front door needs to contact someone safely about their own behaviour."""

    # A field people never see; automated form-fillers tend to complete it.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    area = forms.ChoiceField(
        label=_("Where do you live?"),
        help_text=_("Choose the council area where you live now."),
        error_messages={"required": SELF_REFERRAL_MESSAGES["area_required"]},
    )
    name = forms.CharField(
        label=_("What should we call you? (optional)"),
        help_text=_(
            "A first name or any name you are comfortable with. You do not have to tell us."
        ),
        required=False,
        max_length=200,
        error_messages=_too_long(),
        widget=TextInput(attrs={"spellcheck": "false"}),
    )
    contact_phone = forms.CharField(
        label=_("Phone number (optional if you give an email address)"),
        help_text=_("For international numbers include the country code."),
        required=False,
        max_length=40,
        error_messages=_too_long(),
        widget=TextInput(attrs={"inputmode": "tel", "data-govuk-width": "20"}),
    )
    contact_email = forms.EmailField(
        label=_("Email address (optional if you give a phone number)"),
        help_text=_("Only give an email address that nobody else can read."),
        required=False,
        max_length=254,
        error_messages={"invalid": SELF_REFERRAL_MESSAGES["email_invalid"], **_too_long()},
        widget=forms.EmailInput(attrs={**NO_AUTOFILL, "spellcheck": "false"}),
    )
    safe_times = forms.CharField(
        label=_("When is it safe to contact you? (optional)"),
        help_text=_("For example, weekday mornings, or not after 6pm."),
        required=False,
        max_length=300,
        error_messages=_too_long(),
        widget=TextInput(),
    )
    voicemail_safe = forms.ChoiceField(
        label=_("Is it safe for us to leave you a voicemail?"),
        help_text=_("Answer this if you gave a phone number."),
        choices=SafeAnswer.choices,
        required=False,
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true"}),
    )
    text_safe = forms.ChoiceField(
        label=_("Is it safe for us to send you a text message?"),
        help_text=_("Answer this if you gave a phone number."),
        choices=SafeAnswer.choices,
        required=False,
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true"}),
    )
    safe_word = forms.CharField(
        label=_("Safe word (optional)"),
        help_text=_(
            "If you want, choose a word or phrase. The worker will ask for it at the start of a "
            "call, so you both know you are talking to the right person."
        ),
        required=False,
        max_length=60,
        error_messages=_too_long(),
        widget=TextInput(attrs={"data-govuk-width": "20"}),
    )
    account = forms.CharField(
        label=_("What is happening? (optional)"),
        help_text=_(
            "In your own words, tell us what worries you about how you behave towards a partner, "
            "ex-partner or family member. A few words are enough: you can say more when we talk."
        ),
        required=False,
        max_length=5000,
        error_messages=_too_long(),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    children_in_household = forms.ChoiceField(
        label=_("Do any children live with you, even some of the time?"),
        choices=CHILDREN_CHOICES,
        error_messages={"required": SELF_REFERRAL_MESSAGES["children_required"]},
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label=_("Which language would you like us to use?"),
        choices=LANGUAGE_CHOICES,
        initial="en",
        error_messages={"required": SELF_REFERRAL_MESSAGES["language_required"]},
    )
    other_language = forms.CharField(
        label=_("If you chose another language, which one?"),
        required=False,
        max_length=60,
        error_messages=_too_long(),
        widget=TextInput(attrs={"data-govuk-width": "20"}),
    )
    interpreter_needed = forms.BooleanField(label=_("I would like an interpreter"), required=False)
    accessibility_needs = forms.CharField(
        label=_("Is there anything that would make it easier for you to talk to us? (optional)"),
        help_text=_("For example, a video call, large print, or more time to answer."),
        required=False,
        max_length=2000,
        error_messages=_too_long(),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        districts = _districts()
        self._district_slugs = {slug: area_id for slug, area_id, _name in districts}
        self._choice_field("area").choices = [
            ("", _("Choose your area")),
            *[(slug, name) for slug, _id, name in districts],
            (ELSEWHERE, _("Somewhere else")),
        ]

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data.get("website", "").strip()) if self.is_bound else False

    def clean_area(self) -> str:
        area = self.cleaned_data["area"]
        if area == ELSEWHERE:
            raise forms.ValidationError(SELF_REFERRAL_MESSAGES["area_elsewhere"])
        return area

    def clean_contact_phone(self) -> str:
        return _clean_phone(
            self.cleaned_data["contact_phone"], SELF_REFERRAL_MESSAGES["phone_invalid"]
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        phone = data.get("contact_phone")
        either_in_error = self.has_error("contact_phone") or self.has_error("contact_email")
        if not phone and not data.get("contact_email") and not either_in_error:
            self.add_error("contact_phone", SELF_REFERRAL_MESSAGES["contact_required"])
        if phone:
            if not data.get("voicemail_safe"):
                self.add_error("voicemail_safe", SELF_REFERRAL_MESSAGES["voicemail_required"])
            if not data.get("text_safe"):
                self.add_error("text_safe", SELF_REFERRAL_MESSAGES["text_required"])
        if data.get("language") == OTHER_LANGUAGE and not data.get("other_language", "").strip():
            self.add_error("other_language", SELF_REFERRAL_MESSAGES["other_language_required"])
        return data

    def to_input(self) -> ReferralInput:
        """What intake records. Contact methods follow from what the person said is safe."""
        data = self.cleaned_data
        phone, email = data["contact_phone"], data["contact_email"]
        voicemail = data.get("voicemail_safe") or SafeAnswer.NOT_SURE
        text = data.get("text_safe") or SafeAnswer.NOT_SURE
        methods = []
        if phone:
            methods.append("phone")
            if text == SafeAnswer.YES:
                methods.append("text")
        if email:
            methods.append("email")
        language = data["language"]
        accessibility = data["accessibility_needs"].strip()
        if language == OTHER_LANGUAGE:
            language = UNDETERMINED_LANGUAGE
            named = f"Preferred language: {data['other_language'].strip()}"
            accessibility = f"{named}\n{accessibility}" if accessibility else named
        return ReferralInput(
            route=ReferralRoute.SELF,
            channel=ReferralChannel.WEB,
            source="self",
            area_id=self._district_slugs[data["area"]],
            fields={
                "person_name": data["name"].strip(),
                "contact_phone": phone,
                "contact_email": email,
                "contact_methods": methods,
                "safe_times": data["safe_times"].strip(),
                "voicemail_safe": voicemail,
                "text_safe": text,
                "safe_word": data["safe_word"].strip(),
                "account": data["account"].strip(),
                "children_in_household": data["children_in_household"],
                "language": language,
                "interpreter_needed": bool(data["interpreter_needed"]),
                "accessibility_needs": accessibility,
            },
        )


# --- Agency referral ---------------------------------------------------------------------

# The service's own wording, repeated here so the form can show it in the same pass as other
# errors; `services.intake` is the rule that decides (a test keeps the two in step).
CONSENT_REASON_REQUIRED = "Enter the safeguarding reason for referring without consent"

# How a referrer describes a person's cohort (the codes are the ones services claim).
COHORT_LABELS = {
    ClaimDimension.ADULTS: "An adult (18 or over)",
    ClaimDimension.CHILDREN_YOUNG_PEOPLE: "A child or young person (under 18)",
    ClaimDimension.YOUNG_ADULTS: "A young adult (16 to 24)",
    ClaimDimension.ETHNIC_MINORITY: "From an ethnic minority community",
    ClaimDimension.LGBTQIA: "LGBTQIA+",
    ClaimDimension.WOMEN_USING_FORCE: "A woman using force",
    ClaimDimension.DISABLED_NEURODIVERGENT: "Disabled or neurodivergent",
    ClaimDimension.LANGUAGE_SPECIFIC: "Needs a service in a language other than English",
}

YES_NO = [("yes", "Yes"), ("no", "No")]
_DATE_FORMATS = ["%d %m %Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y"]


def _phone_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=40,
        widget=TextInput(attrs={"inputmode": "tel", "data-govuk-width": "20"}),
    )


def _email_field(label: str) -> forms.EmailField:
    return forms.EmailField(
        label=label,
        required=False,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
        },
        widget=forms.EmailInput(attrs={**NO_AUTOFILL, "spellcheck": "false"}),
    )


def _safe_answer_radios(label: str, hint: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        help_text=hint,
        choices=SafeAnswer.choices,
        required=False,
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true", "data-govuk-small": "true"}),
    )


class AgencyReferralForm(_TokenMixin):
    """An agency referral: the person, what is known of risk, consent, and how to reach them."""

    # The person referred.
    person_name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={"required": "Enter the person's full name"},
        widget=TextInput(attrs={"spellcheck": "false"}),
    )
    person_date_of_birth = forms.DateField(
        label="Date of birth",
        help_text="For example, 27 3 1985. If you do not know it, give their age instead.",
        required=False,
        input_formats=_DATE_FORMATS,
        error_messages={
            "invalid": "Enter the date of birth as day, month and year, like 27 3 1985"
        },
        widget=TextInput(attrs={"data-govuk-width": "10"}),
    )
    person_age = forms.IntegerField(
        label="Age",
        help_text="Your best estimate if you do not know their date of birth.",
        required=False,
        min_value=10,
        max_value=120,
        error_messages={
            "invalid": "Enter the age as a number, like 34",
            "min_value": "Age must be 10 or more",
            "max_value": "Age must be 120 or less",
        },
        widget=forms.TextInput(
            attrs={**NO_AUTOFILL, "inputmode": "numeric", "data-govuk-width": "3"}
        ),
    )
    person_gender = forms.ChoiceField(
        label="Gender (optional)",
        choices=[
            (Gender.MAN, "Man"),
            (Gender.WOMAN, "Woman"),
            (Gender.NON_BINARY, "Non-binary"),
            (Gender.OTHER, "In another way"),
            (Gender.NOT_SAID, "Not known, or they prefer not to say"),
        ],
        required=False,
        widget=forms.RadioSelect(attrs={"data-govuk-small": "true"}),
    )
    person_postcode = forms.CharField(
        label="Postcode (optional)",
        required=False,
        max_length=10,
        error_messages={"max_length": "Enter a real postcode, like LS1 4AP"},
        widget=TextInput(attrs={"data-govuk-width": "10", "spellcheck": "false"}),
    )
    area = forms.ChoiceField(
        label="Area where the person lives",
        error_messages={"required": "Select the area where the person lives"},
    )
    contact_phone = _phone_field("Phone number for the person (optional)")
    contact_email = _email_field("Email address for the person (optional)")
    # Victim-survivors and relationship.
    victims_known = forms.ChoiceField(
        label="Is there a known victim-survivor?",
        help_text="A partner, ex-partner or family member harmed by the person's behaviour.",
        choices=YES_NO,
        error_messages={"required": "Select whether there is a known victim-survivor"},
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true"}),
    )
    relationship = forms.ChoiceField(
        label="The person's relationship to the victim-survivor",
        choices=[("", "Not known")] + list(Relationship.choices),
        required=False,
    )
    # What is happening.
    abuse_types = forms.MultipleChoiceField(
        label="Type of abuse",
        help_text="Select all that apply.",
        error_messages={"required": "Select at least one type of abuse"},
        widget=forms.CheckboxSelectMultiple(attrs={"data-govuk-small": "true"}),
    )
    risk_known = forms.CharField(
        label="What do you know about risk? (optional)",
        help_text=(
            "Recent incidents, threats, weapons, escalation, pregnancy, separation, or anything "
            "that worries you. Say where the information comes from."
        ),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    marac_heard = forms.ChoiceField(
        label="Has this been heard at MARAC?",
        choices=YES_NO,
        error_messages={"required": "Select whether this has been heard at MARAC"},
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true"}),
    )
    needs = forms.MultipleChoiceField(
        label="Does the person have needs a service should plan for? (optional)",
        help_text="Select all that apply.",
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"data-govuk-small": "true"}),
    )
    cohorts = forms.MultipleChoiceField(
        label="Is the person in a group some services work with specifically? (optional)",
        help_text="Only if it is relevant to finding the right service.",
        choices=[(d.value, COHORT_LABELS[d]) for d in COHORT_DIMENSIONS],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"data-govuk-small": "true"}),
    )
    language = forms.ChoiceField(
        label="Language the person prefers",
        choices=[(code, label) for code, label in LANGUAGE_CHOICES if code != OTHER_LANGUAGE],
        initial="en",
    )
    interpreter_needed = forms.BooleanField(label="The person needs an interpreter", required=False)
    accessibility_needs = forms.CharField(
        label="Accessibility needs (optional)",
        help_text="For example, British Sign Language, easy read, or step-free access.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Who refers, and on what basis.
    source = forms.ChoiceField(
        label="Referring agency",
        error_messages={"required": "Select the agency making the referral"},
    )
    lawful_basis = forms.ChoiceField(
        label="Lawful basis for sharing",
        choices=LawfulBasis.choices,
        error_messages={"required": "Select the lawful basis for sharing this information"},
        widget=forms.RadioSelect(attrs={"data-govuk-small": "true"}),
    )
    consent_status = forms.ChoiceField(
        label="Has the person consented to this referral?",
        choices=ConsentStatus.choices,
        error_messages={"required": "Select whether the person has consented"},
        widget=forms.RadioSelect(attrs={"data-govuk-small": "true"}),
    )
    consent_reason = forms.CharField(
        label="Reason for referring without consent",
        help_text="Needed when consent was not given or not asked: the safeguarding reason.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        districts = _districts()
        self._district_slugs = {slug: area_id for slug, area_id, _name in districts}
        self._choice_field("area").choices = [("", "Choose an area")] + [
            (slug, name) for slug, _id, name in districts
        ]
        self._choice_field("abuse_types").choices = _term_choices("abuse-types")
        self._choice_field("source").choices = [("", "Choose an agency")] + _term_choices(
            "referral-routes", exclude=("self",)
        )

    def clean_person_postcode(self) -> str:
        value = " ".join(self.cleaned_data["person_postcode"].upper().split())
        if value and not _POSTCODE_RE.match(value):
            raise forms.ValidationError("Enter a real postcode, like LS1 4AP")
        return value

    def clean_contact_phone(self) -> str:
        return _clean_phone(
            self.cleaned_data["contact_phone"], "Enter a phone number, like 01632 960 001"
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        no_age_error = not (self.has_error("person_date_of_birth") or self.has_error("person_age"))
        if no_age_error and not data.get("person_date_of_birth") and data.get("person_age") is None:
            self.add_error(
                "person_date_of_birth", "Enter the person's date of birth, or their age below"
            )
        consent = data.get("consent_status")
        if (
            consent
            and consent != ConsentStatus.GIVEN
            and not data.get("consent_reason", "").strip()
        ):
            self.add_error("consent_reason", CONSENT_REASON_REQUIRED)
        return data

    def to_input(self, victims: list[VictimInput], children: list[ChildInput]) -> ReferralInput:
        data = self.cleaned_data
        return ReferralInput(
            route=ReferralRoute.AGENCY,
            channel=ReferralChannel.FORM,
            source=data["source"],
            area_id=self._district_slugs[data["area"]],
            fields={
                "person_name": data["person_name"].strip(),
                "person_date_of_birth": data["person_date_of_birth"],
                "person_age": data["person_age"],
                "person_gender": data["person_gender"] or Gender.NOT_SAID,
                "person_postcode": data["person_postcode"],
                "contact_phone": data["contact_phone"],
                "contact_email": data["contact_email"],
                "relationship": data["relationship"],
                "abuse_types": list(data["abuse_types"]),
                "risk_known": data["risk_known"].strip(),
                "marac_heard": data["marac_heard"] == "yes",
                "needs": list(data["needs"]),
                "cohorts": list(data["cohorts"]),
                "language": data["language"],
                "interpreter_needed": bool(data["interpreter_needed"]),
                "accessibility_needs": data["accessibility_needs"].strip(),
                "lawful_basis": data["lawful_basis"],
                "consent_status": data["consent_status"],
                "consent_reason": data["consent_reason"].strip(),
            },
            victims=victims,
            children=children,
        )


class VictimSurvivorForm(forms.Form):
    """One victim-survivor: what integrated support needs to make contact safely."""

    name = forms.CharField(
        label="Full name",
        max_length=200,
        required=False,
        widget=TextInput(attrs={"spellcheck": "false"}),
    )
    relationship = forms.ChoiceField(
        label="Relationship to the person referred",
        choices=[("", "Not known")] + list(Relationship.choices),
        required=False,
    )
    lives_with_person = _safe_answer_radios("Do they live with the person?")
    knows_of_referral = _safe_answer_radios(
        "Do they know about this referral?",
        "If not, the support worker will plan first contact so it does not put them at risk.",
    )
    contact_phone = _phone_field("Safe phone number (optional)")
    contact_email = _email_field("Safe email address (optional)")
    safe_times = forms.CharField(
        label="Safe times to contact (optional)",
        required=False,
        max_length=300,
        widget=TextInput(),
    )
    voicemail_safe = _safe_answer_radios("Is it safe to leave a voicemail?")
    contact_notes = forms.CharField(
        label="Anything else about making contact safely (optional)",
        help_text="For example, the person checks their phone, or use a code name.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_contact_phone(self) -> str:
        return _clean_phone(
            self.cleaned_data["contact_phone"], "Enter a phone number, like 01632 960 001"
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.has_changed() and not data.get("name", "").strip() and not self.has_error("name"):
            self.add_error(
                "name",
                "Enter the victim-survivor's name, or clear this victim-survivor's details",
            )
        return data

    def to_input(self) -> VictimInput:
        data = self.cleaned_data
        return VictimInput(
            name=data["name"].strip(),
            relationship=data["relationship"],
            lives_with_person=data["lives_with_person"] or SafeAnswer.NOT_SURE,
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            safe_times=data["safe_times"].strip(),
            voicemail_safe=data["voicemail_safe"] or SafeAnswer.NOT_SURE,
            contact_notes=data["contact_notes"].strip(),
            knows_of_referral=data["knows_of_referral"] or SafeAnswer.NOT_SURE,
        )


class ChildForm(forms.Form):
    """One child connected to the referral."""

    age = forms.IntegerField(
        label="Age",
        help_text="Enter 0 for a baby under one. Leave blank if not known.",
        required=False,
        min_value=0,
        max_value=17,
        error_messages={
            "invalid": "Enter the child's age as a number, like 6",
            "min_value": "Age must be 0 or more",
            "max_value": "Age must be 17 or less",
        },
        widget=forms.TextInput(
            attrs={**NO_AUTOFILL, "inputmode": "numeric", "data-govuk-width": "3"}
        ),
    )
    lives_with_person = _safe_answer_radios("Does the child live with the person?")
    social_care_involved = _safe_answer_radios("Is children's social care involved?")

    def to_input(self) -> ChildInput:
        data = self.cleaned_data
        return ChildInput(
            age=data["age"],
            lives_with_person=data["lives_with_person"] or SafeAnswer.NOT_SURE,
            social_care_involved=data["social_care_involved"] or SafeAnswer.NOT_SURE,
        )


class _BaseFormSet(forms.BaseFormSet):
    def filled_forms(self) -> list[forms.Form]:
        """The forms someone typed into; untouched extra forms are left out."""
        return [form for form in self.forms if form.has_changed()]


VictimSurvivorFormSet = forms.formset_factory(
    VictimSurvivorForm, formset=_BaseFormSet, extra=1, max_num=20, absolute_max=20
)
ChildFormSet = forms.formset_factory(
    ChildForm, formset=_BaseFormSet, extra=1, max_num=30, absolute_max=30
)
