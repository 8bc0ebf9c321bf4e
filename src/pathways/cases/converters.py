"""URL converters for case references, so /cases/alerts/ can never be read as a case."""

from __future__ import annotations

from django.urls import register_converter


class CaseReferenceConverter:
    regex = r"PC-[A-Z0-9]{4}-[A-Z0-9]{4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


class SupportReferenceConverter(CaseReferenceConverter):
    regex = r"SC-[A-Z0-9]{4}-[A-Z0-9]{4}"


register_converter(CaseReferenceConverter, "case_ref")
register_converter(SupportReferenceConverter, "support_ref")
