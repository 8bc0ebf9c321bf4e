"""Builders for evidence tests: sources, approaches and ratings made through the service layer."""

from __future__ import annotations

import itertools

import pytest

from pathways.evidence import services
from pathways.evidence.models import Source
from pathways.evidence.scales import Scale

_counter = itertools.count(1)


@pytest.fixture
def make_source(db):
    def make(slug: str | None = None, scale: str = Scale.THREE_POINT, **extra) -> Source:
        slug = slug or f"source-{next(_counter)}"
        values = {
            "name": extra.pop("name", slug.replace("-", " ").title()),
            "cited_as": extra.pop("cited_as", f"the {slug}"),
            "publisher": "",
            "year": None,
            "scale": scale,
            "scale_description": "Test scale",
            "reported_in": "A test report, 2023",
            "reported_in_short": "test report, 2023",
            "reported_in_year": 2023,
            **extra,
        }
        return Source.objects.create(slug=slug, **values)

    return make


@pytest.fixture
def make_approach(db):
    def make(slug: str | None = None, name: str | None = None, **data):
        slug = slug or f"approach-{next(_counter)}"
        return services.approach_create(
            actor=None, slug=slug, data={"name": name or slug.replace("-", " ").title(), **data}
        )

    return make


@pytest.fixture
def rate(db):
    def make(approach, source, name_as_published: str | None = None, **data):
        return services.rating_set(
            actor=None,
            approach=approach,
            source=source,
            name_as_published=name_as_published or approach.name,
            data=data,
        )

    return make
