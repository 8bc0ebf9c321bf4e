"""Every public page is in Welsh when the visitor chooses Cymraeg: no English left behind.

The pages are found by walking the URL configuration for views with the PUBLIC policy, so
a public page added later is checked the day it is added. Each is rendered in English and in
Welsh with real objects (the published West Yorkshire and Cardiff and Vale services, the
evidence library, published mapping summaries), and every piece of text a person can see or
hear (text, page title, aria-label, title, alt, placeholder) that is the same in both
languages must be data (a service's name, a source's title, a place without a Welsh name),
a word that is the same in Welsh (API) or one of the gaps listed in KNOWN_GAPS below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.template.loader import render_to_string
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from pathways.accounts.access import is_api_view, policy_for_view
from pathways.accounts.models import Role
from pathways.accounts.policies import PUBLIC
from pathways.core.demo import load_demo
from pathways.directory.models import (
    CapacityStatus,
    ProvenanceSource,
    Service,
    SuiteTier,
    VictimSupport,
)
from pathways.evidence import scales
from pathways.evidence.models import Approach
from pathways.mapping import engine
from pathways.mapping import services as mapping_services
from pathways.public import labels, published
from tests.referrals.test_welsh_catalogue import (
    PO,
    PUBLIC_TEMPLATES,
    SELF_REFERRAL_TEMPLATES,
    parse_po,
)

pytestmark = pytest.mark.django_db

# Public views that are not Welsh pages, and why.
NOT_WELSH_PAGES = {
    # The neutral page Exit this page leads to: the same English weather page whatever the
    # language of the page left (see docs/welsh.md).
    "public:exit",
    # Staff sign-in. Pathways' staff pages are in English.
    "accounts:sign-in",
    # POST-only actions: nothing to read.
    "accounts:sign-out",
    "set-language",
    # The self-referral pages are checked by tests/referrals/test_welsh_catalogue.py and
    # tests/referrals/test_self_referral.py; the confirmation needs a referral just sent.
    "self_referral:done",
}

# English that a Welsh public page still shows because its source is outside the public
# pages, with the file to fix. Listed so that each gap is known, and so that this test fails
# once it is fixed (remove the entry then).
KNOWN_GAPS: dict[str, set[str]] = {
    # evidence: the filter's choice labels come from model choices (AbuseFocus,
    # PreventionLevel) and selectors.AGREEMENT_LABELS, which are not marked for translation;
    # their Welsh is in the catalogue (public/labels.py lists them).
    "evidence:library": {
        "Domestic abuse",
        "Sexual violence",
        "Domestic abuse and sexual violence",
        "Primary prevention",
        "Secondary prevention",
        "Tertiary prevention",
        "All levels",
        "Not stated",
        "Not rated",
        "One source",
        "Sources agree",
        "Sources disagree",
    },
    # standards/templates/standards/_service_assessment_summary.html, included in the
    # service page, shows the ratings' English labels (standards.Rating). Their Welsh is in
    # the catalogue: `{% govuk_tag label|translated ... %}` (public_language) would do.
    "public:service": {"Green", "Amber", "Red", "Not applicable", "Not rated"},
}

# The same in Welsh, or a name.
SAME_IN_WELSH = {"Pathways", "API", "LHDTC+"}


# --- Finding the public pages ----------------------------------------------------------------


def _walk(patterns, prefix="", namespaces=()) -> Iterator[tuple[str, URLPattern, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = ":".join([*namespaces, entry.name]) if entry.name else ""
            yield prefix + str(entry.pattern), entry, name


def public_routes() -> dict[str, str]:
    """URL name -> route of every public HTML view."""
    found = {}
    for route, pattern, name in _walk(get_resolver().url_patterns):
        if "admin" in name.split(":") or is_api_view(pattern.callback):
            continue
        if policy_for_view(pattern.callback) is PUBLIC:
            found[name] = route
    return found


@pytest.fixture
def world(role_users, make_service):
    """The demo directory, the evidence library and published summaries (Cardiff and Vale,
    where places have Welsh names, and West Yorkshire), and a service with every field the
    service page shows."""
    load_demo(synthetic_services=0, users=False)
    make_service(
        "Cardiff and Vale Change Programme",
        areas=("cardiff", "vale-of-glamorgan"),
        terms=(
            "abuse-types:DA",
            "referral-routes:self",
            "referral-routes:police",
            "delivery-formats:group",
            "delivery-formats:one-to-one",
        ),
        claims={
            "risk_medium": {"value": "yes", "evidence_level": "verified"},
            "lgbtqia": {"value": "unknown"},
            "self_referral": {"value": "yes", "evidence_level": "evidenced"},
            "adults": {"value": "no"},
        },
        source=ProvenanceSource.PROVIDER_CONFIRMED,
        description="Group work for men who want to stop being abusive.",
        suite_tier=SuiteTier.MEDIUM_RISK,
        capacity_status=CapacityStatus.LIMITED,
        waiting_weeks=3,
        duration_weeks=26,
        integrated_victim_support=VictimSupport.PARTNER,
        url="https://example.org/change",
        phone="029 2000 0000",
    )
    admin = role_users[Role.ADMIN]
    for area in ("cardiff-and-vale", "west-yorkshire"):
        snapshot = mapping_services.snapshot_save(
            actor=admin, area_slug=area, rule=engine.CountingRule()
        )
        mapping_services.summary_publish(actor=admin, snapshot_id=snapshot.pk)
    cardiff = Service.objects.filter(service_areas__area__slug="cardiff").order_by("name")
    return {
        "service": cardiff.exclude(assessments=None).first() or cardiff.first(),
        "approach": Approach.objects.order_by("name").first(),
    }


def page_urls(world) -> dict[str, list[str]]:
    """The pages to read for each public URL name, in their interesting states."""
    service = world["service"]
    urls: dict[str, list[str]] = {}
    for name, route in public_routes().items():
        if name in NOT_WELSH_PAGES:
            continue
        url = "/" + route
        url = url.replace("<uuid:service_id>", str(service.pk))
        url = url.replace("<slug:slug>", world["approach"].slug)
        url = url.replace("<slug:area>", "cardiff-and-vale")
        assert "<" not in url, f"no sample for {route}: add one to page_urls"
        urls[name] = [url]
    urls["public:home"] += [
        "/?area=cardiff",  # results
        "/?area=leeds&page=2",  # pagination
        "/?q=nothing-matches-this",  # no results
        "/?area=atlantis",  # an error
    ]
    urls["evidence:library"] += ["/evidence/?q=zzzz-no-match", "/evidence/?page=2"]
    urls["evidence:approach"] += [
        f"/evidence/approaches/{slug}/" for slug in Approach.objects.values_list("slug", flat=True)
    ]
    urls["mapping:published"] += ["/mapping/published/west-yorkshire/"]
    urls["public:service"] += [
        f"/services/{pk}/" for pk in Service.objects.order_by("name").values_list("pk", flat=True)
    ]
    urls["404"] = ["/no-such-page/"]
    return urls


# --- Reading a page as a person would ----------------------------------------------------------

SPOKEN_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}


class _Text(HTMLParser):
    """Text nodes and spoken attributes, outside script and style and outside anything
    marked with its own language (the language switch names the other language in it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def _skipped(self) -> bool:
        return any(skip for _tag, skip in self._stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        void = tag in {"meta", "link", "input", "br", "img", "hr", "source", "path"}
        own_language = "lang" in attributes and tag != "html"
        if not own_language and not self._skipped():
            for key in SPOKEN_ATTRIBUTES & set(attributes):
                self.found.append(attributes[key] or "")
            if tag == "input" and attributes.get("type") in {"submit", "button"}:
                self.found.append(attributes.get("value") or "")
        if not void:
            self._stack.append((tag, own_language or tag in {"script", "style"}))

    def handle_endtag(self, tag):
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def handle_data(self, data):
        if not self._skipped():
            self.found.append(data)


def texts(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return {" ".join(t.split()) for t in parser.found if re.search(r"[A-Za-z]{2}", t)}


def data_strings() -> set[str]:
    """Every name and text stored in the database (services, organisations, the evidence
    library's sources), except names that have a Welsh name: those must be shown in Welsh."""
    found: set[str] = set()
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        if not fields:
            continue
        rows = model.objects.all()
        if "name_cy" in fields:
            rows = rows.filter(name_cy="")
        for row in rows.values_list(*fields):
            found.update(" ".join(value.split()) for value in row if value)
    return found


def quoted_rating_words() -> set[str]:
    """Ratings in the source's own words ("good", "some or mixed"): quoted as published."""
    return {words for scale in scales.SCALES.values() for words, _band in scale.labels.values()}


class Allowed:
    """Whether text that is the same in English and Welsh is allowed to be."""

    def __init__(self, data: set[str], welsh_same: set[str]) -> None:
        self.exact = data | SAME_IN_WELSH | welsh_same | quoted_rating_words()
        # Longest first, so "Drive (Cardiff)" goes before "Drive".
        self.parts = sorted((d for d in data | SAME_IN_WELSH if len(d) > 3), key=len, reverse=True)
        self._seen: dict[str, bool] = {}

    def __call__(self, text: str) -> bool:
        if text not in self._seen:
            self._seen[text] = text in self.exact or self._only_data(text)
        return self._seen[text]

    def _only_data(self, text: str) -> bool:
        """Text made of data and punctuation: "Drive (Cardiff) – Pathways", "(Respect)"."""
        for part in self.parts:
            if part in text:
                text = text.replace(part, " ")
        return not re.search(r"[A-Za-z]{2}", text)


@pytest.fixture
def welsh_same_as_english() -> set[str]:
    """Catalogue entries whose Welsh is the same as the English."""
    return {key for key, value in parse_po(PO).items() if isinstance(key, str) and key == value}


def read(client: Client, url: str, language: str) -> tuple[int, str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    return response.status_code, response.content.decode()


# --- The tests ---------------------------------------------------------------------------------


def test_the_walk_finds_the_public_pages(db):
    assert {
        "public:home",
        "public:service",
        "public:privacy",
        "public:accessibility",
        "evidence:library",
        "evidence:approach",
        "mapping:published-list",
        "mapping:published",
        "self_referral:start",
        "self_referral:form",
    } <= set(public_routes()) - NOT_WELSH_PAGES


def test_no_public_page_shows_english_in_welsh(client, world, welsh_same_as_english):
    allowed = Allowed(data_strings(), welsh_same_as_english)
    english_left: dict[str, set[str]] = {}
    checked = 0
    for name, urls in page_urls(world).items():
        for url in urls:
            status, welsh = read(client, url, "cy")
            assert status in (200, 400, 404), f"{url}: {status}"
            assert '<html lang="cy"' in welsh, url
            _status, english = read(client, url, "en")
            left = {t for t in texts(welsh) & texts(english) if not allowed(t)}
            if left:
                english_left.setdefault(name, set()).update(left)
            checked += 1
    assert checked > 20
    unexpected = {
        name: sorted(found - KNOWN_GAPS.get(name, set()))
        for name, found in english_left.items()
        if found - KNOWN_GAPS.get(name, set())
    }
    assert unexpected == {}, "English on Welsh pages"
    fixed = {
        name: sorted(gaps - english_left.get(name, set()))
        for name, gaps in KNOWN_GAPS.items()
        if gaps - english_left.get(name, set())
    }
    assert fixed == {}, f"fixed: remove these from KNOWN_GAPS: {fixed}"


def test_every_template_of_a_public_page_is_checked_by_the_catalogue_test(client, world):
    """tests/referrals/test_welsh_catalogue.py checks the templates it lists; a public page
    built from a template it does not list would escape it."""
    used: set[str] = set()
    for urls in page_urls(world).values():
        for url in urls:
            response = client.get(url)
            used |= {t.name for t in response.templates if t.name}
    listed = set(SELF_REFERRAL_TEMPLATES) | set(PUBLIC_TEMPLATES)
    assert sorted(name for name in used - listed if not name.startswith("django/")) == []


def test_error_pages_are_in_welsh(rf):
    request = rf.get("/work/")
    request.user = AnonymousUser()
    with translation.override("cy"):
        forbidden = render_to_string("403.html", request=request)
        server_error = render_to_string("500.html")
    assert "Does gennych chi ddim mynediad i'r dudalen hon" in forbidden
    assert 'value="en" lang="en"' in forbidden  # and the way back to English
    assert "Mae'n ddrwg gennym, mae problem gyda'r gwasanaeth" in server_error
    assert "Sorry" not in server_error


def test_every_public_page_offers_the_other_language(client, world):
    for name, urls in page_urls(world).items():
        url = urls[0]
        _status, html = read(client, url, "en")
        switch = re.search(r'<form method="post" action="/language/".*?</form>', html, re.S)
        assert switch, f"{name} ({url}) has no language switch"
        assert f'name="next" value="{url}"' in switch.group(0)
        assert 'value="cy" lang="cy"' in switch.group(0)
        _status, html = read(client, url, "cy")
        assert 'value="en" lang="en"' in html, name


def test_welsh_search_results_use_welsh_place_and_term_names(client, world):
    _status, html = read(client, "/?area=cardiff", "cy")
    assert '<option value="cardiff" selected>Caerdydd</option>' in html
    assert ">Cam-drin domestig</option>" in html  # the abuse-type filter, from name_cy
    assert "Caerdydd" in html.split('id="results-heading"')[1]  # the results list
    _status, html = read(client, f"/services/{world['service'].pk}/", "cy")
    assert "Caerdydd" in html


def test_welsh_published_summary_names_places_and_rule_in_welsh(client, world):
    _status, html = read(client, "/mapping/published/cardiff-and-vale/", "cy")
    assert "Darpariaeth yn ardal Caerdydd a&#x27;r Fro" in html
    assert "Bro Morgannwg" in html
    assert "Yn cyfrif gwasanaethau gweithredol" in html
    assert "Counts active services" not in html


@pytest.mark.parametrize("threshold", engine.GAP_THRESHOLDS)
def test_the_welsh_counting_rule_says_what_the_engine_says(threshold):
    """public.published writes the rule again so that it can be translated: in English it
    must be word for word the engine's, for every rule."""
    for rule in published._rules_with(threshold):
        with translation.override("en"):
            assert published.describe(rule) == rule.describe()
            assert published.rule_in_language(rule.describe(), threshold) == rule.describe()
        with translation.override("cy"):
            welsh = published.rule_in_language(rule.describe(), threshold)
        assert welsh != rule.describe()
    assert published.rule_in_language("Worded some other way.", threshold) == (
        "Worded some other way."
    )


def test_exit_this_page_speaks_welsh_on_welsh_pages(client, world):
    _status, html = read(client, "/", "cy")
    assert 'data-i18n.press-two-more-times="Shift, pwyswch 2 waith eto i adael."' in html
    assert 'data-i18n.activated="Yn llwytho."' in html


def test_the_self_referral_confirmation_keeps_no_language_switch(client, reference):
    """Its reference is shown once: reloading it in the other language would lose it."""
    from pathways.referrals.views.public import SESSION_REFERENCE

    session = client.session
    session[SESSION_REFERENCE] = "ABC-123"
    session.save()
    html = client.get("/self-referral/done/").content.decode()
    assert "ABC-123" in html
    assert 'action="/language/"' not in html


def test_labels_listed_for_the_catalogue_cover_every_label_public_pages_show():
    """public/labels.py must list the labels of every choice the public pages translate."""
    from pathways.core.models import TriState
    from pathways.directory import models as directory
    from pathways.evidence import models as evidence
    from pathways.evidence.selectors import AGREEMENT_LABELS
    from pathways.standards.models import Rating

    shown = {
        *directory.SuiteTier.labels,
        *directory.VictimSupport.labels,
        *directory.CapacityStatus.labels,
        *directory.ClaimDimension.labels,
        *TriState.labels,
        *directory.EvidenceLevel.labels,
        *directory.ProvenanceSource.labels,
        *directory.InterventionType.labels,
        *evidence.AbuseFocus.labels,
        *evidence.PreventionLevel.labels,
        *AGREEMENT_LABELS.values(),
        *scales.BAND_LABELS.values(),
        *(text for s in scales.SCALES.values() for text in (s.name, s.meaning)),
        *Rating.labels,
        *engine.CERTAINTY_LABELS.values(),
        *(c.label for c in engine.COLUMNS),
    }
    assert sorted(str(label) for label in shown if str(label) not in labels.LABELS) == []
    with translation.override("cy"):
        assert sorted(label for label in labels.LABELS if labels.translated(label) == label) == [
            label for label in sorted(labels.LABELS) if label in SAME_IN_WELSH
        ]
