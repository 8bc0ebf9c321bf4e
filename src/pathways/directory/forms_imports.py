"""The upload form for directory imports. The file's type is read from its content."""

from __future__ import annotations

import os

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .imports import FileTypeError, detect_format
from .models import ImportFormat, ProvenanceSource

DETECT = "detect"
FORMAT_CHOICES = [
    (DETECT, _("Work it out from the file")),
    (ImportFormat.CSV.value, _("CSV")),
    (ImportFormat.XLSX.value, _("Excel (XLSX)")),
    (ImportFormat.ORUK_JSON.value, _("Open Referral UK JSON")),
]
WRONG_TYPE = _("The selected file must be a CSV, XLSX or JSON file")
NOT_FORMAT = {
    ImportFormat.CSV: _("The selected file must be a CSV file"),
    ImportFormat.XLSX: _("The selected file must be an XLSX file"),
    ImportFormat.ORUK_JSON: _("The selected file must be an Open Referral UK JSON file"),
}


def size_label(size: int) -> str:
    """A byte count as people write it: 10MB, 500KB."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size} bytes"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Upload a file"),
        help_text=_("A CSV or XLSX file in the template's layout, or Open Referral UK JSON."),
        error_messages={
            "required": _("Select a file to import"),
            "empty": _("The selected file is empty"),
            "invalid": _("Select a file to import"),
            "missing": _("Select a file to import"),
        },
        widget=forms.FileInput(
            attrs={
                "accept": ".csv,.xlsx,.json,text/csv,application/json,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    format = forms.ChoiceField(
        label=_("File format"),
        choices=FORMAT_CHOICES,
        initial=DETECT,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select the file format"),
            "invalid_choice": _("Select the file format"),
        },
    )
    provenance_source = forms.ChoiceField(
        label=_("Where does this information come from?"),
        choices=ProvenanceSource.choices,
        initial=ProvenanceSource.DESK_REVIEW,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select where this information comes from"),
            "invalid_choice": _("Select where this information comes from"),
        },
    )
    provenance_detail = forms.CharField(
        label=_("Source details (optional)"),
        help_text=_("For example, 'Annual provider questionnaire, March 2026'."),
        required=False,
        max_length=500,
        error_messages={"max_length": _("Source details must be 500 characters or fewer")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.content: bytes = b""
        self.detected_format: str = ""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PATHWAYS_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The selected file must be smaller than %(size)s"),
                params={"size": size_label(limit)},
                code="too_large",
            )
        content = upload.read(limit + 1)
        if not content:
            raise forms.ValidationError(_("The selected file is empty"), code="empty")
        if len(content) > limit:
            raise forms.ValidationError(
                _("The selected file must be smaller than %(size)s"),
                params={"size": size_label(limit)},
                code="too_large",
            )
        try:
            self.detected_format = detect_format(content)
        except FileTypeError:
            raise forms.ValidationError(WRONG_TYPE, code="wrong_type") from None
        self.content = content
        return upload

    def clean(self):
        cleaned = super().clean() or {}
        chosen = cleaned.get("format")
        if self.detected_format and chosen and chosen != DETECT and chosen != self.detected_format:
            self.add_error("file", forms.ValidationError(NOT_FORMAT[chosen], code="wrong_type"))
        return cleaned

    @property
    def filename(self) -> str:
        return os.path.basename(self.cleaned_data["file"].name or "upload")[:255]

    @property
    def import_format(self) -> str:
        return self.detected_format
