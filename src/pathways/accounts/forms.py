"""Sign-in form with GOV.UK wording. It checks only that both fields are filled in; the
view checks the credentials through `services.user_authenticate`, behind the lockout."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        error_messages={"required": _("Enter your username")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "data-govuk-width": "20"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages={"required": _("Enter your password")},
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "data-govuk-width": "20"}
        ),
    )
