"""The Welsh catalogue covers every string of the public pages (the self-referral, the
service search and service pages, the evidence library, published mapping summaries, the
privacy, accessibility and error pages) and the chrome around them, and the compiled
catalogue is the one the translations say.

Strings are found the way `makemessages` finds them: Django's own `templatize` turns each
template into gettext calls, and the forms' labels, hints, choices and messages are read
from the forms themselves. A page that grows a new string fails here until it is
translated, and text typed into a public template without `{% translate %}` fails too.
tests/public/test_welsh_public_pages.py renders every public page in Welsh and fails if it
uses a template missing from the lists here.
"""

from __future__ import annotations

import ast
import gettext
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.template.loader import get_template
from django.utils import translation
from django.utils.translation.template import templatize

from pathways.public.forms import ServiceSearchForm
from pathways.referrals import forms_intake, reference
from pathways.referrals.forms_intake import SELF_REFERRAL_MESSAGES, SelfReferralForm

LOCALE_DIR = Path(settings.LOCALE_PATHS[0]) / "cy" / "LC_MESSAGES"
PO = LOCALE_DIR / "django.po"
MO = LOCALE_DIR / "django.mo"

# Every template a self-referral page is built from: the pages, the chrome they extend and
# the GOV.UK components they use.
SELF_REFERRAL_TEMPLATES = [
    "base.html",
    "public_base.html",
    "govuk/field.html",
    "govuk/error_summary.html",
    "referrals/public/start.html",
    "referrals/public/form.html",
    "referrals/public/done.html",
]

# Every other template a public page is built from.
PUBLIC_TEMPLATES = [
    "403.html",
    "404.html",
    "500.html",
    "503.html",
    "govuk/pagination.html",
    "govuk/tag.html",
    "public/_language_switch.html",
    "public/home.html",
    "public/service_detail.html",
    "public/privacy.html",
    "public/accessibility.html",
    "evidence/library.html",
    "evidence/approach_detail.html",
    "evidence/_service_evidence.html",
    "standards/_service_assessment_summary.html",
    "mapping/published_list.html",
    "mapping/published_area.html",
    "mapping/_public_summary.html",
    # In every page's head; renders only for signed-in people, who may read public pages too.
    "accounts/session_timeout.html",
    "accounts/session_timeout_warning.html",
]

# Text a public template may carry untranslated, and why.
LITERAL_TEXT_ALLOWED = {
    # Each language is named in itself, with its own lang attribute.
    "public/_language_switch.html": {"English", "Cymraeg"},
}

_STRING = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_CALL = re.compile(rf"\b(gettext|ngettext|pgettext|npgettext)\(\s*({_STRING}(?:\s*,\s*{_STRING})*)")


def template_msgids(name: str) -> set[tuple[str, ...]]:
    """(msgid,) or (context, msgid) or (msgid, plural) for each translatable string in a
    template, as makemessages would extract them."""
    source = Path(get_template(name).origin.name).read_text(encoding="utf-8")
    found: set[tuple[str, ...]] = set()
    for function, arguments in _CALL.findall(templatize(source, origin=name)):
        strings = ast.literal_eval(f"({arguments},)")
        if function == "gettext":
            found.add((strings[0],))
        elif function == "ngettext":
            found.add((strings[0], strings[1]))
        elif function == "pgettext":
            found.add((f"{strings[0]}\x04{strings[1]}",))
        else:
            found.add((f"{strings[0]}\x04{strings[1]}", strings[2]))
    return found


_SPOKEN = {"aria-label", "title", "alt", "placeholder"}


class _Literal(HTMLParser):
    """Text and spoken attributes left in a template once its tags and variables are gone."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in {"script", "style"}:
            self._skip += 1
        self.found.extend(v or "" for k, v in attributes.items() if k in _SPOKEN)

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def literal_text(name: str) -> set[str]:
    """Words a template shows that no `{% translate %}` or `{% blocktranslate %}` covers."""
    source = Path(get_template(name).origin.name).read_text(encoding="utf-8")
    skeleton: list[str] = []
    inside = None  # the tag whose end we are waiting for: endblocktranslate, endcomment
    for token in Lexer(source).tokenize():
        if inside:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == inside:
                inside = None
            continue
        if token.token_type == TokenType.TEXT:
            skeleton.append(token.contents)
        elif token.token_type == TokenType.BLOCK:
            command = token.contents.split()[0]
            if command in {"blocktranslate", "blocktrans", "comment", "verbatim"}:
                inside = f"end{command}"
            elif token.contents == "block robots":  # the robots meta tag's content
                inside = "endblock"
            skeleton.append("\x00")
        elif token.token_type == TokenType.VAR:
            skeleton.append("\x00")
    parser = _Literal()
    parser.feed("".join(skeleton))
    words = {" ".join(text.replace("\x00", " ").split()) for text in parser.found}
    return {w for w in words if re.search(r"[A-Za-z]{2}", w)}


def _english(text: object) -> str:
    with translation.override("en"):
        return str(text)


def form_messages(form: forms.Form) -> set[str]:
    """Every label, hint, choice and error message a person can see on the form."""
    found: set[str] = set()
    for field in form.fields.values():
        if isinstance(field.widget, forms.HiddenInput):
            continue
        for text in (field.label, field.help_text):
            if text:
                found.add(_english(text))
        found.update(_english(message) for message in field.error_messages.values())
        for _value, label in getattr(field, "choices", ()):
            found.add(_english(label))
    found.update(_english(message) for message in SELF_REFERRAL_MESSAGES.values())
    return found


def django_default_messages(form: forms.Form) -> set[str]:
    """Messages that come from Django's own catalogue, not ours."""
    found: set[str] = set()
    for field in form.fields.values():
        for klass in type(field).__mro__:
            for message in getattr(klass, "default_error_messages", {}).values():
                found.add(_english(message))
    return found


@cache
def compiled() -> dict:
    with MO.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def _unescape(quoted: str) -> str:
    return ast.literal_eval(quoted)


def parse_po(path: Path) -> dict:
    """The translated, non-fuzzy entries of a .po file, keyed as GNUTranslations keys them."""
    entries: dict = {}
    current: dict = {}
    last = None
    fuzzy = False

    def flush() -> None:
        nonlocal current, fuzzy
        if "msgid" in current and not fuzzy:
            msgid = current["msgid"]
            if "msgctxt" in current:
                msgid = f"{current['msgctxt']}\x04{msgid}"
            plurals = {k: v for k, v in current.items() if k.startswith("msgstr[")}
            if plurals:
                if all(plurals.values()):
                    for key, value in plurals.items():
                        entries[(msgid, int(key[7:-1]))] = value
            elif current.get("msgstr"):
                entries[msgid] = current["msgstr"]
        current, fuzzy = {}, False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            last = None
            continue
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            current[last] += _unescape(line)
            continue
        keyword, _, rest = line.partition(" ")
        if (
            keyword in ("msgctxt", "msgid")
            and "msgstr" in current
            or (keyword == "msgctxt" and "msgid" in current)
        ):
            flush()
        current[keyword] = _unescape(rest)
        last = keyword
    flush()
    return entries


def _missing_from_catalogue(keys: set[tuple[str, ...]]) -> list[str]:
    catalogue = compiled()
    missing = []
    for key in keys:
        if len(key) == 1:
            if not catalogue.get(key[0]):
                missing.append(key[0])
        elif not catalogue.get((key[0], 0)):
            missing.append(key[0])
    return sorted(missing)


@pytest.mark.parametrize("name", SELF_REFERRAL_TEMPLATES)
def test_every_string_in_the_self_referral_templates_has_a_welsh_translation(name):
    msgids = template_msgids(name)
    assert msgids, f"found no translatable strings in {name}"
    assert _missing_from_catalogue(msgids) == []


@pytest.mark.parametrize("name", PUBLIC_TEMPLATES)
def test_every_string_in_the_other_public_templates_has_a_welsh_translation(name):
    assert _missing_from_catalogue(template_msgids(name)) == []


@pytest.mark.parametrize("name", SELF_REFERRAL_TEMPLATES + PUBLIC_TEMPLATES)
def test_public_templates_have_no_text_outside_translate_tags(name):
    assert literal_text(name) - LITERAL_TEXT_ALLOWED.get(name, set()) == set()


@pytest.mark.django_db
def test_every_label_choice_and_message_of_the_service_search_has_a_welsh_translation(reference):
    from pathways.areas.models import Area
    from pathways.directory.models import TaxonomyTerm

    # Built in English whatever language an earlier test left active: the form names places
    # in the active language, and English place names are data, not catalogue entries.
    with translation.override("en"):
        form = ServiceSearchForm()
    names = set(Area.objects.values_list("name", flat=True))
    names |= set(TaxonomyTerm.objects.values_list("name", flat=True))
    ours = form_messages(form) - django_default_messages(form) - names
    ours -= {_english(message) for message in SELF_REFERRAL_MESSAGES.values()}
    assert _missing_from_catalogue({(text,) for text in ours}) == []


@pytest.mark.django_db
def test_the_service_search_names_places_and_terms_in_welsh(reference):
    with translation.override("cy"):
        form = ServiceSearchForm()
        assert ("cardiff", "Caerdydd") in form.fields["area"].choices
        assert ("DA", "Cam-drin domestig") in form.fields["abuse"].choices
        assert ("self", "Hunangyfeirio") in form.fields["route"].choices
        assert ("adults", "Yn gweithio gydag oedolion") in [
            (value, str(label)) for value, label in form.fields["cohort"].choices
        ]


@pytest.mark.django_db
def test_every_label_hint_choice_and_message_of_the_form_has_a_welsh_translation(reference):
    from pathways.areas.models import Area

    with translation.override("en"):  # see the service search test above
        form = SelfReferralForm()
    place_names = set(Area.objects.values_list("name", flat=True))
    ours = form_messages(form) - django_default_messages(form) - place_names
    assert _missing_from_catalogue({(text,) for text in ours}) == []
    with translation.override("cy"):
        untranslated = sorted(
            text
            for text in django_default_messages(form) & form_messages(form)
            if translation.gettext(text) == text
        )
    assert untranslated == []


def test_public_choice_labels_in_reference_have_welsh_translations():
    labels = {
        _english(label)
        for choices in (reference.Gender, reference.ContactMethod, reference.SafeAnswer)
        for label in choices.labels
    }
    assert _missing_from_catalogue({(label,) for label in labels}) == []


def test_language_names_on_the_form_are_translated():
    labels = {_english(label) for _code, label in forms_intake.LANGUAGE_CHOICES}
    assert _missing_from_catalogue({(label,) for label in labels}) == []


def test_compiled_catalogue_matches_the_translations():
    """Run `pathways compilemessages -l cy` after editing django.po."""
    from_po = parse_po(PO)
    from_mo = {key: value for key, value in compiled().items() if key != ""}
    from_po.pop("", None)
    assert set(from_po) - set(from_mo) == set(), "translated in django.po but not compiled"
    assert set(from_mo) - set(from_po) == set(), "compiled but no longer in django.po"
    changed = sorted(str(key) for key in from_po if from_po[key] != from_mo[key])
    assert changed == [], "django.mo is older than django.po"


def test_translations_keep_their_placeholders():
    """A translation that drops or renames %(name)s would fail when the page renders."""
    placeholder = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
    broken = []
    for key, value in parse_po(PO).items():
        msgid = key[0] if isinstance(key, tuple) else key
        msgid = msgid.split("\x04")[-1]
        if sorted(placeholder.findall(msgid)) != sorted(placeholder.findall(value)):
            if not isinstance(key, tuple):  # plural forms may legitimately omit the count
                broken.append(msgid)
    assert broken == []


def test_welsh_self_referral_page_is_in_welsh(client, reference):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    response = client.get("/self-referral/")
    html = response.content.decode()
    assert '<html lang="cy"' in html
    assert "Gadael y dudalen hon" in html  # Exit this page
    assert "Exit this page" not in html
