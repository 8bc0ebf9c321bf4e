"""Reading the library: bands and agreement (pure), lists, approach pages' data, service evidence."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from pathways.evidence import selectors, services
from pathways.evidence.scales import QUALITY_AND_IMPACT, THREE_POINT, Band, Scale, band_for
from pathways.evidence.selectors import (
    AgreementStatus,
    ApproachFilters,
    RatingView,
    approach_agreement,
)


def three(source: str, rating: str) -> RatingView:
    return RatingView(
        source_slug=source,
        source_name=source,
        cited_as=f"the {source}",
        scale=Scale.THREE_POINT,
        reported_in_short="West Yorkshire evaluation, 2023",
        rating=rating,
    )


def quality(source: str, evidence: str, impact: str) -> RatingView:
    return RatingView(
        source_slug=source,
        source_name=source,
        cited_as="Crest Advisory",
        scale=Scale.QUALITY_AND_IMPACT,
        reported_in_short="rapid evidence review for Leicester, Leicestershire and Rutland, 2023",
        evidence_rating=evidence,
        impact_rating=impact,
    )


# --- Pure: bands ---------------------------------------------------------------------------


def test_three_point_labels_map_one_to_one_onto_bands():
    assert band_for(Scale.THREE_POINT, rating="good") is Band.HIGHER
    assert band_for(Scale.THREE_POINT, rating="some_or_mixed") is Band.MIDDLE
    assert band_for(Scale.THREE_POINT, rating="poor_or_negative") is Band.LOWER
    assert band_for(Scale.THREE_POINT, rating="") is None


def test_quality_and_impact_takes_the_weaker_part_never_the_mean():
    # high (3) and low (1) would average to the middle; the rule gives the lower band.
    assert band_for(Scale.QUALITY_AND_IMPACT, evidence="high", impact="low") is Band.LOWER
    assert band_for(Scale.QUALITY_AND_IMPACT, evidence="moderate", impact="high") is Band.MIDDLE
    assert band_for(Scale.QUALITY_AND_IMPACT, evidence="high", impact="high") is Band.HIGHER


def test_printed_variants_are_kept_and_banded_by_their_lower_end():
    assert band_for(Scale.QUALITY_AND_IMPACT, evidence="low", impact="medium") is Band.LOWER
    assert band_for(Scale.QUALITY_AND_IMPACT, evidence="high", impact="medium") is Band.MIDDLE
    assert band_for(Scale.QUALITY_AND_IMPACT, evidence="high", impact="moderate/low") is Band.LOWER
    assert band_for(Scale.QUALITY_AND_IMPACT, evidence="moderate", impact="low/moderate") is (
        Band.LOWER
    )


def test_a_review_that_gives_no_rating_has_no_band():
    assert band_for(Scale.QUALITY_AND_IMPACT, evidence="", impact="") is None
    assert band_for(Scale.QUALITY_AND_IMPACT, evidence="", impact="high") is Band.HIGHER


# --- Pure: agreement -----------------------------------------------------------------------


def test_no_ratings_is_not_rated():
    assert approach_agreement([]).status is AgreementStatus.NOT_RATED
    assert approach_agreement([quality("crest", "", "")]).status is AgreementStatus.NOT_RATED


def test_one_source_is_single_source_not_agreement():
    agreement = approach_agreement([three("cop", "good")])
    assert agreement.status is AgreementStatus.SINGLE_SOURCE
    assert not agreement.disagree


def test_sources_in_the_same_band_agree():
    agreement = approach_agreement(
        [three("wg", "poor_or_negative"), quality("crest", "low", "moderate")]
    )
    assert agreement.status is AgreementStatus.AGREE
    assert agreement.spread == 0


def test_good_against_moderate_evidence_is_disagreement_one_band_apart():
    agreement = approach_agreement(
        [three("cara-eval", "good"), quality("crest", "moderate", "high")]
    )
    assert agreement.status is AgreementStatus.DISAGREE
    assert agreement.spread == 1
    assert agreement.highest is Band.HIGHER and agreement.lowest is Band.MIDDLE


def test_good_against_poor_is_disagreement_two_bands_apart_not_a_middling_average():
    agreement = approach_agreement([three("a", "good"), three("b", "poor_or_negative")])
    assert agreement.disagree
    assert agreement.spread == 2
    assert [b.band for b in agreement.ratings] == [Band.HIGHER, Band.LOWER]
    assert not hasattr(agreement, "score") and not hasattr(agreement, "average")


def test_every_rating_comes_back_in_order_in_its_own_words():
    ratings = [three("cop", "some_or_mixed"), quality("crest", "high", "moderate/low")]
    agreement = approach_agreement(ratings)
    assert [b.rating for b in agreement.ratings] == ratings
    assert ratings[0].statement == (
        "Rated ‘some or mixed’ evidence by the cop (West Yorkshire evaluation, 2023)."
    )
    assert ratings[1].statement == (
        "Rated ‘high’ for quality of evidence and ‘moderate/low’ for impact by Crest Advisory "
        "(rapid evidence review for Leicester, Leicestershire and Rutland, 2023)."
    )
    assert quality("crest", "", "").statement.startswith("Reviewed by Crest Advisory")


def test_statements_never_overclaim():
    words = " ".join(
        r.statement.lower()
        for r in [
            three("a", "good"),
            three("b", "some_or_mixed"),
            three("c", "poor_or_negative"),
            quality("d", "high", "high"),
        ]
    )
    for claim in ("proven", "works", "effective", "guarantee"):
        assert claim not in words


def test_studies_are_shown_as_the_source_gives_them():
    one = RatingView("s", "s", "s", Scale.THREE_POINT, "r", studies=(6,))
    several = RatingView("s", "s", "s", Scale.THREE_POINT, "r", studies=(38, 23, 8))
    assert one.studies_text == "6 studies"
    assert several.studies_text == "38, 23 and 8 studies in 3 reviews"


# --- Property tests --------------------------------------------------------------------------

three_labels = st.sampled_from(["", *THREE_POINT.labels])
qi_labels = st.sampled_from(["", *QUALITY_AND_IMPACT.labels])


@st.composite
def rating_views(draw, source: str | None = None):
    slug = source or draw(st.sampled_from(["cop", "wwcsc", "wg", "svru", "cara", "drive", "crest"]))
    if draw(st.booleans()):
        return three(slug, draw(three_labels))
    return quality(slug, draw(qi_labels), draw(qi_labels))


@st.composite
def rating_lists(draw):
    sources = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=4), unique=True, max_size=7))
    return [draw(rating_views(source=s)) for s in sources]


@given(rating_lists(), st.randoms())
def test_agreement_does_not_depend_on_order(ratings, random):
    shuffled = list(ratings)
    random.shuffle(shuffled)
    a, b = approach_agreement(ratings), approach_agreement(shuffled)
    assert (a.status, a.highest, a.lowest) == (b.status, b.highest, b.lowest)


@given(rating_lists())
def test_every_rating_is_returned_unchanged_for_display(ratings):
    agreement = approach_agreement(ratings)
    assert [b.rating for b in agreement.ratings] == ratings


@given(rating_lists())
def test_no_band_appears_that_no_source_gave(ratings):
    agreement = approach_agreement(ratings)
    given_bands = {r.band for r in ratings if r.band is not None}
    if agreement.highest is not None:
        assert {agreement.highest, agreement.lowest} <= given_bands
    assert {b.band for b in agreement.ratings if b.band is not None} == given_bands


@given(rating_lists())
def test_status_follows_the_bands(ratings):
    agreement = approach_agreement(ratings)
    bands = {r.band for r in ratings if r.band is not None}
    rated_sources = {r.source_slug for r in ratings if r.band is not None}
    if not bands:
        assert agreement.status is AgreementStatus.NOT_RATED
    elif len(bands) > 1:
        assert agreement.status is AgreementStatus.DISAGREE
        assert agreement.spread == max(bands) - min(bands) > 0
    elif len(rated_sources) == 1:
        assert agreement.status is AgreementStatus.SINGLE_SOURCE
    else:
        assert agreement.status is AgreementStatus.AGREE
        assert agreement.spread == 0


@given(rating_lists())
def test_a_source_that_gave_no_rating_changes_nothing(ratings):
    before = approach_agreement(ratings)
    after = approach_agreement([*ratings, quality("unrated-review", "", "")])
    assert (before.status, before.highest, before.lowest) == (
        after.status,
        after.highest,
        after.lowest,
    )


@given(rating_lists(), rating_views(source="extra-source"))
def test_a_rating_in_a_new_band_always_shows_disagreement(ratings, extra):
    before = approach_agreement(ratings)
    if extra.band is None or before.highest is None:
        return
    after = approach_agreement([*ratings, extra])
    if extra.band not in {r.band for r in ratings}:
        assert after.status is AgreementStatus.DISAGREE


@given(qi_labels, qi_labels)
def test_a_two_part_rating_is_never_stronger_than_either_part(evidence, impact):
    band = band_for(Scale.QUALITY_AND_IMPACT, evidence=evidence, impact=impact)
    for part in (evidence, impact):
        if part and band is not None:
            assert band <= QUALITY_AND_IMPACT.labels[part][1]


# --- The published library -------------------------------------------------------------------


@pytest.mark.django_db
def test_cbt_ratings_are_far_apart_and_shown_not_averaged(reference):
    summary = selectors.approach_get(slug="cbt-for-perpetrators")
    assert summary.agreement.status is AgreementStatus.DISAGREE
    assert summary.agreement.spread == 2
    by_source = {b.rating.source_slug: b.rating for b in summary.ratings}
    assert by_source["college-of-policing"].rating == "some_or_mixed"
    assert by_source["welsh-government-2018"].rating == "good"
    assert by_source["scottish-vru-2022"].rating == "good"
    assert by_source["crest-llr-2023"].evidence_rating == "high"
    assert by_source["crest-llr-2023"].impact_rating == "moderate/low"


@pytest.mark.django_db
def test_programmes_rated_by_both_reports_are_one_approach_each(reference):
    for slug, sources in {
        "cara": {"cara-evaluation", "crest-llr-2023"},
        "drive": {"drive-evaluation", "crest-llr-2023"},
        "restorative-justice": {"welsh-government-2018", "crest-llr-2023"},
        "second-responder": {"college-of-policing", "crest-llr-2023"},
        "community-bystander-interventions": {"welsh-government-2018", "crest-llr-2023"},
        "perpetrator-programmes": {"wwcsc-eif", "scottish-vru-2022", "crest-llr-2023"},
    }.items():
        summary = selectors.approach_get(slug=slug)
        assert {b.rating.source_slug for b in summary.ratings} == sources, slug


@pytest.mark.django_db
def test_published_agreements(reference):
    status = {
        slug: selectors.approach_get(slug=slug).agreement.status
        for slug in (
            "cara",
            "drive",
            "restorative-justice",
            "circles-of-support-and-accountability",
            "change-that-lasts",
        )
    }
    assert status == {
        "cara": AgreementStatus.DISAGREE,
        "drive": AgreementStatus.DISAGREE,
        "restorative-justice": AgreementStatus.AGREE,
        "circles-of-support-and-accountability": AgreementStatus.SINGLE_SOURCE,
        "change-that-lasts": AgreementStatus.NOT_RATED,
    }


@pytest.mark.django_db
def test_unknown_approach_is_not_found(reference):
    with pytest.raises(Http404):
        selectors.approach_get(slug="no-such-approach")


@pytest.mark.django_db
def test_filters_by_focus_level_source_and_agreement(reference):
    def slugs(**kw):
        return {s.approach.slug for s in selectors.approach_list(filters=ApproachFilters(**kw))}

    sv = slugs(abuse_focus="SV")
    assert "electronic-monitoring-sex-offenders" in sv
    assert "restorative-justice" in sv  # focus both counts for SV
    assert "cara" not in sv
    assert slugs(prevention_level="tertiary") == {"marac", "drive", "second-responder"}
    assert "circles-of-support-and-accountability" not in slugs(source="crest-llr-2023")
    disagree = slugs(agreement="disagree")
    assert {"cbt-for-perpetrators", "cara", "drive"} <= disagree
    assert "restorative-justice" not in disagree
    assert "drive" in slugs(text="high-harm")


@pytest.mark.django_db
def test_sort_by_disagreement_puts_the_widest_split_first(reference):
    summaries = selectors.approach_list(filters=ApproachFilters(sort="disagreement"))
    assert summaries[0].agreement.spread == 2
    flags = [s.agreement.disagree for s in summaries]
    assert flags == sorted(flags, reverse=True)
    by_sources = selectors.approach_list(filters=ApproachFilters(sort="sources"))
    assert by_sources[0].approach.slug == "cbt-for-perpetrators"


# --- Evidence for services -------------------------------------------------------------------


@pytest.mark.django_db
def test_evidence_for_services_in_constant_queries(reference, make_service):
    approaches = list(selectors.approach_list(filters=ApproachFilters()))

    def link(count):
        ids = []
        for n in range(count):
            service = make_service(f"Linked {count}-{n}")
            approach = approaches[n % len(approaches)].approach
            services.service_approach_set(actor=None, service=service, approach=approach)
            ids.append(service.pk)
        return ids

    few, many = link(1), link(10)
    with CaptureQueriesContext(connection) as q1:
        one = selectors.evidence_strength_for_services(few)
    with CaptureQueriesContext(connection) as q10:
        ten = selectors.evidence_strength_for_services(many)
    assert len(q1) == len(q10) == 2
    assert all(v is not None for v in [*one.values(), *ten.values()])
    evidence = ten[many[0]]
    assert evidence.approach_slug == approaches[0].approach.slug
    assert [b.rating for b in evidence.ratings] == [b.rating for b in approaches[0].ratings]


@pytest.mark.django_db
def test_unlinked_services_answer_none(reference, make_service):
    service = make_service("Unlinked")
    assert selectors.evidence_strength_for_services([service.pk]) == {service.pk: None}
    assert selectors.evidence_strength_for_services([]) == {}
