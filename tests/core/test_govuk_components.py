"""The component layer renders values the way the browser needs them."""

from __future__ import annotations

import datetime as dt

from django import forms

from pathways.core.templatetags.govuk import govuk_field


class NativeDate(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class DateForm(forms.Form):
    day = forms.DateField(widget=NativeDate())
    plain = forms.DateField()


def test_a_date_initial_is_formatted_by_its_widget_so_a_date_input_keeps_it():
    form = DateForm(initial={"day": dt.date(2026, 3, 31), "plain": dt.date(2026, 3, 31)})
    assert govuk_field(form["day"])["value"] == "2026-03-31"
    assert govuk_field(form["day"])["input_type"] == "date"
    # A text date input shows the date in the widget's own (input-parsable) format.
    plain = govuk_field(form["plain"])["value"]
    assert DateForm({"day": "2026-03-31", "plain": plain}).is_valid()


def test_a_posted_value_is_shown_back_as_typed():
    form = DateForm({"day": "not a date", "plain": ""})
    assert govuk_field(form["day"])["value"] == "not a date"
