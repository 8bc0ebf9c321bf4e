"""Reads of the evidence library shared by the pages, the API, the public service page and mapping.

`approach_agreement` is a pure function: it puts each source's rating in its comparison band
(`evidence.scales`) and says whether the sources agree, never averaging them, and hands back
every rating in its own words for display. `evidence_strength_for_services` answers, for many
services at once and in a constant number of queries, which approach each follows and how
each source rates it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from pathways.directory import selectors as directory_selectors
from pathways.directory.models import Service

from .models import AbuseFocus, Approach, Rating, ServiceApproach, Source
from .scales import BAND_LABELS, Band, Scale, band_for, label_words

# --- Pure: ratings in their own words, bands and agreement ---------------------------------


@dataclass(frozen=True)
class RatingView:
    """One source's rating of one approach, as the source states it."""

    source_slug: str
    source_name: str
    cited_as: str
    scale: str
    reported_in_short: str
    name_as_published: str = ""
    rating: str = ""
    evidence_rating: str = ""
    impact_rating: str = ""
    studies: tuple[int, ...] = ()
    note: str = ""
    mapping_basis: str = ""
    source_year: int | None = None
    reported_in: str = ""

    @property
    def source_label(self) -> str:
        """The source's published name, with its year when the name does not carry it."""
        if self.source_year and str(self.source_year) not in self.source_name:
            return f"{self.source_name} ({self.source_year})"
        return self.source_name

    @property
    def band(self) -> Band | None:
        return band_for(
            self.scale,
            rating=self.rating,
            evidence=self.evidence_rating,
            impact=self.impact_rating,
        )

    @property
    def is_rated(self) -> bool:
        return self.band is not None

    @property
    def labels(self) -> str:
        """The rating in the source's own words, without the source: "some or mixed"."""
        if self.scale == Scale.THREE_POINT:
            return label_words(self.scale, self.rating)
        parts = []
        if self.evidence_rating:
            parts.append(
                _("quality of evidence ‘%(label)s’")
                % {"label": label_words(self.scale, self.evidence_rating)}
            )
        if self.impact_rating:
            parts.append(
                _("impact ‘%(label)s’") % {"label": label_words(self.scale, self.impact_rating)}
            )
        return ", ".join(parts)

    @property
    def statement(self) -> str:
        """A full sentence in the source's own words, citing it. Never more than it says."""
        where = {"source": self.cited_as, "report": self.reported_in_short}
        if self.scale == Scale.THREE_POINT:
            if not self.rating:
                return _("Not rated by %(source)s (%(report)s).") % where
            return _("Rated ‘%(label)s’ evidence by %(source)s (%(report)s).") % {
                **where,
                "label": label_words(self.scale, self.rating),
            }
        evidence = label_words(self.scale, self.evidence_rating)
        impact = label_words(self.scale, self.impact_rating)
        if evidence and impact:
            return _(
                "Rated ‘%(evidence)s’ for quality of evidence and ‘%(impact)s’ for impact "
                "by %(source)s (%(report)s)."
            ) % {**where, "evidence": evidence, "impact": impact}
        if evidence:
            return _("Rated ‘%(evidence)s’ for quality of evidence by %(source)s (%(report)s).") % {
                **where,
                "evidence": evidence,
            }
        if impact:
            return _("Rated ‘%(impact)s’ for impact by %(source)s (%(report)s).") % {
                **where,
                "impact": impact,
            }
        return _("Reviewed by %(source)s (%(report)s), which gave it no rating.") % where

    @property
    def studies_text(self) -> str:
        if not self.studies:
            return ""
        if len(self.studies) == 1:
            n = self.studies[0]
            return _("1 study") if n == 1 else _("%(n)s studies") % {"n": n}
        counts = ", ".join(str(n) for n in self.studies[:-1]) + f" and {self.studies[-1]}"
        return _("%(counts)s studies in %(reviews)s reviews") % {
            "counts": counts,
            "reviews": len(self.studies),
        }


class AgreementStatus(enum.StrEnum):
    NOT_RATED = "not_rated"  # no source gave a rating
    SINGLE_SOURCE = "single_source"  # one source rated it: nothing to compare
    AGREE = "agree"  # every rating falls in the same band
    DISAGREE = "disagree"  # ratings fall in different bands


AGREEMENT_LABELS = {
    AgreementStatus.NOT_RATED: "Not rated",
    AgreementStatus.SINGLE_SOURCE: "One source",
    AgreementStatus.AGREE: "Sources agree",
    AgreementStatus.DISAGREE: "Sources disagree",
}


@dataclass(frozen=True)
class BandedRating:
    rating: RatingView
    band: Band | None

    @property
    def band_label(self) -> str:
        return BAND_LABELS[self.band] if self.band is not None else _("no rating given")


@dataclass(frozen=True)
class Agreement:
    """Whether the sources agree, with every rating kept for display. No combined score."""

    status: AgreementStatus
    ratings: tuple[BandedRating, ...]
    highest: Band | None = None
    lowest: Band | None = None

    @property
    def spread(self) -> int:
        """How many bands apart the highest and lowest ratings are (0, 1 or 2)."""
        if self.highest is None or self.lowest is None:
            return 0
        return int(self.highest) - int(self.lowest)

    @property
    def disagree(self) -> bool:
        return self.status is AgreementStatus.DISAGREE

    @property
    def label(self) -> str:
        return AGREEMENT_LABELS[self.status]

    @property
    def sources(self) -> int:
        return len({b.rating.source_slug for b in self.ratings})

    @property
    def rated_sources(self) -> int:
        return len({b.rating.source_slug for b in self.ratings if b.band is not None})

    def sources_in(self, band: Band) -> list[str]:
        return [b.rating.cited_as for b in self.ratings if b.band == band]


def approach_agreement(ratings: Iterable[RatingView]) -> Agreement:
    """Classify how far sources agree about one approach, without averaging.

    Each rating gets its band by lookup (`scales.band_for`). With no band there is nothing
    to compare (not rated); with bands from one source only, nothing to disagree with
    (single source); otherwise the sources agree when every band is the same and disagree
    when any two differ. Every rating comes back, in the order given, for display.
    """
    banded = tuple(BandedRating(rating=r, band=r.band) for r in ratings)
    bands = [b.band for b in banded if b.band is not None]
    if not bands:
        return Agreement(status=AgreementStatus.NOT_RATED, ratings=banded)
    highest, lowest = max(bands), min(bands)
    rated_sources = {b.rating.source_slug for b in banded if b.band is not None}
    if highest != lowest:
        status = AgreementStatus.DISAGREE
    elif len(rated_sources) == 1:
        status = AgreementStatus.SINGLE_SOURCE
    else:
        status = AgreementStatus.AGREE
    return Agreement(status=status, ratings=banded, highest=highest, lowest=lowest)


# --- Reads ---------------------------------------------------------------------------------


def rating_view(rating: Rating) -> RatingView:
    """A stored rating as a RatingView (uses the rating's prefetched source)."""
    source = rating.source
    return RatingView(
        source_slug=source.slug,
        source_name=source.name,
        cited_as=source.cited_as,
        scale=source.scale,
        reported_in_short=source.reported_in_short,
        reported_in=source.reported_in,
        source_year=source.year,
        name_as_published=rating.name_as_published,
        rating=rating.rating,
        evidence_rating=rating.evidence_rating,
        impact_rating=rating.impact_rating,
        studies=tuple(rating.studies or ()),
        note=rating.note,
        mapping_basis=rating.mapping_basis,
    )


def _ratings_prefetch(prefix: str = "") -> Prefetch:
    return Prefetch(
        f"{prefix}ratings",
        queryset=Rating.objects.select_related("source").order_by(
            "source__reported_in_year", "source__name"
        ),
    )


@dataclass(frozen=True)
class ApproachSummary:
    """An approach with every source's rating and whether they agree."""

    approach: Approach
    agreement: Agreement

    @property
    def ratings(self) -> tuple[BandedRating, ...]:
        return self.agreement.ratings


def _summary(approach: Approach) -> ApproachSummary:
    views = [rating_view(r) for r in approach.ratings.all()]
    return ApproachSummary(approach=approach, agreement=approach_agreement(views))


class ApproachSort(enum.StrEnum):
    NAME = "name"
    SOURCES = "sources"
    DISAGREEMENT = "disagreement"


@dataclass(frozen=True)
class ApproachFilters:
    text: str = ""
    abuse_focus: str = ""  # DA or SV also match approaches for both
    prevention_level: str = ""
    source: str = ""  # a source slug
    agreement: str = ""  # an AgreementStatus value
    sort: str = ApproachSort.NAME


def source_list() -> QuerySet[Source]:
    """Every source, by name: the filter choices and the sources page."""
    return Source.objects.order_by("name")


def approach_queryset(filters: ApproachFilters) -> QuerySet[Approach]:
    """Approaches matching the database-side filters, ratings prefetched."""
    qs = Approach.objects.all()
    if filters.text:
        for word in filters.text.split()[:8]:
            qs = qs.filter(
                Q(name__icontains=word)
                | Q(description__icontains=word)
                | Q(ratings__name_as_published__icontains=word)
            )
        qs = qs.distinct()
    if filters.abuse_focus in (AbuseFocus.DA, AbuseFocus.SV):
        qs = qs.filter(abuse_focus__in=[filters.abuse_focus, AbuseFocus.BOTH])
    elif filters.abuse_focus:
        qs = qs.filter(abuse_focus=filters.abuse_focus)
    if filters.prevention_level:
        qs = qs.filter(prevention_level=filters.prevention_level)
    if filters.source:
        qs = qs.filter(
            Exists(Rating.objects.filter(approach=OuterRef("pk"), source__slug=filters.source))
        )
    return qs.annotate(rating_count=Count("ratings", distinct=True)).prefetch_related(
        _ratings_prefetch()
    )


def approach_list(*, filters: ApproachFilters) -> list[ApproachSummary]:
    """The library, filtered and sorted, each approach with its agreement (two queries).

    Agreement is computed here rather than stored, so a filter or sort on it works on the
    evaluated list; the library holds tens of approaches, not thousands.
    """
    summaries = [_summary(a) for a in approach_queryset(filters).order_by("name", "pk")]
    if filters.agreement:
        summaries = [s for s in summaries if s.agreement.status == filters.agreement]
    if filters.sort == ApproachSort.SOURCES:
        summaries.sort(key=lambda s: (-s.agreement.sources, s.approach.name))
    elif filters.sort == ApproachSort.DISAGREEMENT:
        summaries.sort(
            key=lambda s: (
                not s.agreement.disagree,
                -s.agreement.spread,
                -s.agreement.sources,
                s.approach.name,
            )
        )
    return summaries


def approach_get(*, slug: str) -> ApproachSummary:
    """One approach with every rating, or 404."""
    approach = (
        Approach.objects.filter(slug=slug)
        .annotate(rating_count=Count("ratings", distinct=True))
        .prefetch_related(_ratings_prefetch())
        .first()
    )
    if approach is None:
        raise Http404("No such approach")
    return _summary(approach)


def approach_public_services(*, approach: Approach) -> QuerySet[Service]:
    """Services the public can see that say they follow this approach."""
    return (
        directory_selectors.service_public_queryset()
        .filter(evidence_approach_link__approach=approach)
        .select_related("organisation")
        .order_by("name", "id")
    )


def approach_choices() -> list[tuple[str, str]]:
    """(slug, name) for every approach, by name: the linking form's choices."""
    return list(Approach.objects.order_by("name").values_list("slug", "name"))


def approach_by_slug(slug: str) -> Approach | None:
    return Approach.objects.filter(slug=slug).first()


@dataclass(frozen=True)
class ServiceEvidence:
    """The approach a service follows and what each source says about that approach."""

    service_id: Any
    approach_slug: str
    approach_name: str
    agreement: Agreement
    note: str = ""
    set_at: Any = None
    ratings: tuple[BandedRating, ...] = field(default=())

    @property
    def disagree(self) -> bool:
        return self.agreement.disagree


def evidence_strength_for_services(service_ids: Sequence[Any]) -> dict[Any, ServiceEvidence | None]:
    """For each service id, its approach and every source's rating, or None when unlinked.

    Two queries however many services are asked about. Used by the public service page and
    by the mapping suite check. Access to the services themselves is the caller's business:
    this says nothing that is not already public.
    """
    result: dict[Any, ServiceEvidence | None] = {sid: None for sid in service_ids}
    if not result:
        return result
    links = (
        ServiceApproach.objects.filter(service_id__in=list(result))
        .select_related("approach")
        .prefetch_related(_ratings_prefetch("approach__"))
    )
    for link in links:
        agreement = approach_agreement(rating_view(r) for r in link.approach.ratings.all())
        result[link.service_id] = ServiceEvidence(
            service_id=link.service_id,
            approach_slug=link.approach.slug,
            approach_name=link.approach.name,
            agreement=agreement,
            note=link.note,
            set_at=link.set_at,
            ratings=agreement.ratings,
        )
    return result


def service_link_get(*, service: Service) -> ServiceApproach | None:
    """The service's current link, if any."""
    return (
        ServiceApproach.objects.filter(service=service).select_related("approach", "set_by").first()
    )
