"""The partnership's scoring configuration, and scoring an area's incidents from the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from pathways.areas.models import Area
from pathways.audit.models import AuditEvent
from pathways.panels import rfg
from pathways.panels.models import RFGScore, ScoringConfig
from pathways.panels.selectors import (
    incident_frame,
    rfg_run_latest_for_user,
    rfg_score_explain_for_user,
    rfg_scores_for_user,
    scoring_config_in_force,
)
from pathways.panels.services import incidents_import, rfg_score_run, scoring_config_save

from .files import T, csv_bytes

EXTRACT = csv_bytes(
    "P1,V1,2025-03-09,abh",
    "P1,V2,2025-03-03,stalking",
    "P1,V3,2023-04-22,homicide_or_attempt",  # 771 days before T: outside the window
    "P2,V9,2025-06-01,abh",
    "P3,V4,2025-06-02,abh",  # after T: not counted
)


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


def test_the_shipped_default_is_in_force_until_the_partnership_saves_its_own(leeds):
    config, stored = scoring_config_in_force(area_id=leeds.pk)
    assert stored is None
    assert config == rfg.DEFAULT_CONFIG


def test_a_saved_configuration_is_versioned_and_audited(force, commissioner):
    first = scoring_config_save(
        actor=commissioner, area=force, name="Agreed", definition={"window_days": 365}
    )
    second = scoring_config_save(
        actor=commissioner, area=force, name="Agreed again", definition={"window_days": 500}
    )
    assert (first.version, second.version) == (1, 2)
    # Stored in full, so a later change to the shipped defaults does not change it.
    assert second.definition == {**rfg.DEFAULT_CONFIG.to_json(), "window_days": 500}
    event = AuditEvent.objects.get(object_type="rfg_scoring_config", object_id=str(second.pk))
    assert event.action == "create"
    assert event.detail == {
        "area": "west-yorkshire-police",
        "version": 2,
        "categories": 15,
        "window_days": 500,
    }


def test_the_latest_active_version_on_the_nearest_area_is_in_force(leeds, force, commissioner):
    scoring_config_save(actor=None, area=force, name="Force v1", definition={"window_days": 400})
    scoring_config_save(actor=None, area=force, name="Force v2", definition={"window_days": 500})
    # Leeds sits under the force area: it inherits the latest version.
    config, stored = scoring_config_in_force(area_id=leeds.pk)
    assert (stored.name, config.window_days) == ("Force v2", 500)
    ScoringConfig.objects.filter(name="Force v2").update(is_active=False)
    assert scoring_config_in_force(area_id=leeds.pk)[0].window_days == 400
    # Its own configuration, once it has one, is nearer.
    scoring_config_save(actor=None, area=leeds, name="Leeds", definition={"window_days": 300})
    assert scoring_config_in_force(area_id=leeds.pk)[0].window_days == 300
    # Bradford, beside Leeds, still has the force's.
    bradford = Area.objects.get(slug="bradford")
    assert scoring_config_in_force(area_id=bradford.pk)[0].window_days == 400


def test_an_invalid_configuration_changes_nothing_and_says_why(force, commissioner):
    with pytest.raises(ValidationError) as caught:
        scoring_config_save(actor=commissioner, area=force, name="", definition={"recency_max": 50})
    assert caught.value.message_dict["name"] == ["Enter a name for the scoring configuration"]
    assert "must add up to 100" in caught.value.message_dict["definition"][0]
    assert not ScoringConfig.objects.exists()


def test_a_gravity_table_must_keep_the_categories_of_incidents_already_imported(leeds, chair):
    incidents_import(actor=chair, area=leeds, file_name="a.csv", content=EXTRACT)
    with pytest.raises(ValidationError, match="leaves out categories .*abh, homicide_or_attempt"):
        scoring_config_save(
            actor=None, area=leeds, name="Too short", definition={"gravity_table": {"stalking": 9}}
        )


def test_only_the_partnership_changes_scoring(force, member, referrer, chair):
    for user in (member, referrer):
        with pytest.raises(PermissionDenied):
            scoring_config_save(actor=user, area=force, name="x", definition={})
    assert scoring_config_save(actor=chair, area=force, name="x", definition={}).version == 1


# --------------------------------------------------------------------------------------
# Scoring runs
# --------------------------------------------------------------------------------------


@pytest.fixture
def imported(leeds, chair):
    return incidents_import(actor=chair, area=leeds, file_name="a.csv", content=EXTRACT)


def test_a_run_stores_the_ranked_scores_with_their_components(leeds, chair, imported):
    run = rfg_score_run(actor=chair, area=leeds, as_of=T)
    assert (run.incidents_considered, run.perpetrators_scored) == (3, 2)
    assert run.config is None and run.config_snapshot == rfg.DEFAULT_CONFIG.to_json()
    rows = list(
        RFGScore.objects.filter(run=run)
        .order_by("rank")
        .values_list("rank", "perpetrator_ref", "rfg", "recency", "frequency", "gravity", "victims")
    )
    # P1: 84 days since the latest (26.55), 2 incidents (6), weights 22 (11), 2 victims (3.33).
    # P2: one ABH on T: 30 + 3 + 5 + 0.
    assert rows == [
        (1, "P1", 47, Decimal("26.55"), Decimal("6.00"), Decimal("11.00"), Decimal("3.33")),
        (2, "P2", 38, Decimal("30.00"), Decimal("3.00"), Decimal("5.00"), Decimal("0.00")),
    ]


def test_a_run_equals_scoring_the_same_incidents_as_a_file(leeds, chair, imported):
    from pathways.panels.incident_files import parse_incidents

    run = rfg_score_run(actor=None, area=leeds, as_of=T)
    from_file = rfg.score(
        parse_incidents(EXTRACT, categories=None).frame(), as_of=T, config=rfg.DEFAULT_CONFIG
    )
    stored = [
        (s.perpetrator_ref, s.rfg, s.recency, s.frequency, s.gravity, s.victims, s.incidents)
        for s in run.scores.order_by("rank")
    ]
    assert stored == [
        (
            r["perpetrator_id"],
            r["rfg"],
            r["recency"],
            r["frequency"],
            r["gravity"],
            r["victims"],
            r["incidents"],
        )
        for r in from_file.to_dicts()
    ]


def test_a_run_uses_the_configuration_in_force_and_records_it(leeds, force, chair, imported):
    config = scoring_config_save(
        actor=None,
        area=force,
        name="Short window",
        definition={**rfg.DEFAULT_CONFIG.to_json(), "window_days": 30},
    )
    run = rfg_score_run(actor=chair, area=leeds, as_of=T)
    assert run.config == config
    assert run.config_snapshot["window_days"] == 30
    assert list(run.scores.values_list("perpetrator_ref", flat=True)) == ["P2"]


def test_a_run_is_audited_without_personal_data(leeds, chair, imported):
    run = rfg_score_run(actor=chair, area=leeds, as_of=T)
    event = AuditEvent.objects.get(object_type="rfg_score_run", object_id=str(run.pk))
    assert event.action == "create"
    assert event.detail == {
        "area": "leeds",
        "as_of": "2025-06-01",
        "config_version": "default",
        "incidents": 3,
        "perpetrators": 2,
    }


def test_progress_is_reported_as_the_run_goes(leeds, chair, imported):
    said = []
    rfg_score_run(actor=chair, area=leeds, as_of=T, progress=said.append)
    assert said == ["loaded 3 incidents in the window", "scored 2 people", "stored 2 scores"]


def test_only_panel_chairs_run_scores(leeds, member, imported):
    with pytest.raises(PermissionDenied):
        rfg_score_run(actor=member, area=leeds, as_of=T)


def test_the_incident_frame_is_the_window_in_one_query(leeds, imported, django_assert_num_queries):
    with django_assert_num_queries(1):
        frame = incident_frame(area_ids=[leeds.pk], start=dt.date(2023, 6, 2), end=T)
    assert frame.height == 3
    assert frame.schema == rfg.INCIDENT_SCHEMA


# --------------------------------------------------------------------------------------
# Reading scores and explanations
# --------------------------------------------------------------------------------------


def test_panel_members_read_scores_and_explanations(leeds, chair, member, imported):
    run = rfg_score_run(actor=chair, area=leeds, as_of=T)
    assert rfg_run_latest_for_user(user=member, area=leeds) == run
    assert [s.perpetrator_ref for s in rfg_scores_for_user(user=member, run_id=run.pk, top=1)] == [
        "P1"
    ]
    explanation = rfg_score_explain_for_user(user=member, run_id=run.pk, perpetrator_ref="P1")
    assert explanation.score["rfg"] == run.scores.get(perpetrator_ref="P1").rfg
    assert [(i.category, i.in_window) for i in explanation.incidents] == [
        ("homicide_or_attempt", False),
        ("stalking", True),
        ("abh", True),
    ]


def test_an_explanation_is_of_the_score_stored_even_after_later_imports(leeds, chair, imported):
    run = rfg_score_run(actor=chair, area=leeds, as_of=T)
    incidents_import(
        actor=chair, area=leeds, file_name="b.csv", content=csv_bytes("P1,V8,2025-05-30,abh")
    )
    explanation = rfg_score_explain_for_user(user=chair, run_id=run.pk, perpetrator_ref="P1")
    assert explanation.score["rfg"] == 47
    assert len(explanation.incidents) == 3


def test_anyone_else_finds_no_scores(leeds, chair, referrer, commissioner, imported):
    run = rfg_score_run(actor=chair, area=leeds, as_of=T)
    for user in (referrer, commissioner):
        assert rfg_run_latest_for_user(user=user, area=leeds) is None
        with pytest.raises(Http404):
            rfg_scores_for_user(user=user, run_id=run.pk)
        with pytest.raises(Http404):
            rfg_score_explain_for_user(user=user, run_id=run.pk, perpetrator_ref="P1")
    with pytest.raises(Http404):
        rfg_score_explain_for_user(user=chair, run_id=run.pk, perpetrator_ref="P3")
