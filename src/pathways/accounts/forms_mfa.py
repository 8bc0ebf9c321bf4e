"""Forms for multi-factor sign-in, in GOV.UK wording. They check only the shape of a code;
the views check the code itself through the services, behind the sign-in lockout."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import recovery_codes


class SecurityCodeForm(forms.Form):
    """A 6-digit code from an authenticator app."""

    code = forms.CharField(
        label=_("Security code"),
        help_text=_("The 6-digit code your authenticator app shows now, for example 123456"),
        max_length=20,
        error_messages={"required": _("Enter the security code from your authenticator app")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "data-govuk-width": "5",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isdigit()):
            raise forms.ValidationError(_("Enter the security code as 6 digits, like 123456"))
        return code


class RecoveryCodeForm(forms.Form):
    """One of the person's recovery codes."""

    code = forms.CharField(
        label=_("Recovery code"),
        help_text=_(
            "One of the 10 recovery codes you saved when you set up your authenticator app. "
            "It looks like 7hq2-xk4m-pd9w."
        ),
        max_length=40,
        error_messages={"required": _("Enter a recovery code")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "data-govuk-width": "10"}
        ),
    )

    def clean_code(self) -> str:
        code = recovery_codes.normalise(self.cleaned_data["code"])
        if len(code) != recovery_codes.LENGTH or any(
            c not in recovery_codes.ALPHABET for c in code
        ):
            raise forms.ValidationError(
                _("Enter the recovery code as it was given to you, like 7hq2-xk4m-pd9w")
            )
        return code
