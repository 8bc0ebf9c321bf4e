"""Perpetrator cases on the API (/api/v1/cases/…), policy CASE_WORK.

The same reads and writes as the case pages, through the same selectors and services, so
the same rules hold: another organisation's case is a 404, a refused move is a 400 naming
the rule, and reading a case (or its assessments, notes or risk events) is audited. A linked
victim-survivor support case shows here only as its reference and status.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from pathways.referrals.reference import Gender, Need

from ..models import (
    CASE_TRANSITIONS,
    AssessmentKind,
    CaseAssessment,
    CaseStatus,
    PerpetratorCase,
    ResponsibilityTaking,
)
from ..policies import CASE_WORK
from ..selectors.cases import (
    assessments_for_case,
    case_get_for_user,
    case_list_filtered_for_user,
    case_with_record,
    handovers_for_case,
    notes_for_case,
    risk_events_for_case,
    support_links_for_case,
)
from ..services.common import assessment_intervals, case_settings_for
from ..services.perpetrator import (
    CaseInput,
    activation_blockers,
    case_handover_record,
    case_no_victim_approve,
    case_no_victim_record,
    case_transition,
    case_view_record,
    consent_in_force,
    perpetrator_case_assign,
    perpetrator_case_open,
    perpetrator_case_update,
)
from ..services.records import (
    assessment_due_on,
    case_assessment_record,
    case_engagement_review_done,
    case_note_add,
    consent_record,
    equality_record,
)
from ..services.risk import risk_event_raise
from ..services.sharing import share_record
from ..services.support import support_case_request
from .common import (
    TAGS_CASES,
    ActiveUserField,
    CaseApiView,
    ConsentSerializer,
    EnumField,
    EqualityAnswersSerializer,
    HistorySerializer,
    NoteSerializer,
    OrganisationField,
    OwnServiceField,
    PageInput,
    RecordApiView,
    ServiceRefSerializer,
    SupportCaseRefSerializer,
    UserRefSerializer,
    audit_api_read,
    errors,
    list_response,
    paginate,
)
from .serializers import (
    ConsentInput,
    ContactInput,
    NoteInput,
    RiskEventInput,
    RiskEventOutput,
    ShareInput,
    ShareOutput,
    risk_tier_field,
)

CASE_STATUS = "CaseStatusEnum"
NOT_FOUND = "No such case, or not one you may see."


def case_url(case: PerpetratorCase) -> str:
    return reverse("api-case", kwargs={"case_reference": case.reference})


def _case_status_field(**kwargs: Any) -> EnumField:
    return EnumField(CASE_STATUS, choices=CaseStatus.choices, **kwargs)


@extend_schema_serializer(component_name="CaseState")
class CaseStateSerializer(serializers.Serializer):
    """Where a case stands after an action."""

    reference = serializers.CharField()
    url = serializers.SerializerMethodField()
    status = _case_status_field()
    status_label = serializers.CharField(source="get_status_display")
    worker = UserRefSerializer(allow_null=True)
    current_risk = risk_tier_field(allow_blank=True)
    engagement_review_due = serializers.BooleanField()
    no_victim_reason = serializers.CharField()
    no_victim_approved_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, case: PerpetratorCase) -> str:
        return case_url(case)


def _state(case: PerpetratorCase, code: int = status.HTTP_200_OK) -> Response:
    return Response(CaseStateSerializer(case).data, status=code)


def _created(data: Any, location: str | None = None) -> Response:
    """201; a Location only where the new thing has a URL of its own."""
    headers = {"Location": location} if location else None
    return Response(data, status=status.HTTP_201_CREATED, headers=headers)


def _case(request, case_reference: str) -> PerpetratorCase:
    """The case the user may work on (404 otherwise)."""
    return case_get_for_user(user=request.user, reference=case_reference)


def _valid(serializer_class: Any, request, **kwargs: Any) -> dict[str, Any]:
    data = serializer_class(data=request.data, context={"request": request}, **kwargs)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


# --- The case list and opening a case ------------------------------------------------------


class CaseListApi(CaseApiView):
    """The perpetrator cases of the user's organisations, newest first."""

    policy = CASE_WORK

    class InputSerializer(PageInput):
        status = _case_status_field(required=False)
        mine = serializers.BooleanField(
            required=False, default=False, help_text="Only cases allocated to me."
        )
        service = serializers.UUIDField(required=False)

    @extend_schema_serializer(component_name="CaseListItem")
    class OutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        url = serializers.SerializerMethodField()
        service = ServiceRefSerializer()
        worker = UserRefSerializer(allow_null=True)
        person_name = serializers.CharField()
        intervention = serializers.CharField()
        tier = risk_tier_field(allow_blank=True)
        current_risk = risk_tier_field(allow_blank=True)
        status = _case_status_field()
        status_label = serializers.CharField(source="get_status_display")
        engagement_review_due = serializers.BooleanField()
        assessment_due_on = serializers.SerializerMethodField()
        assessment_overdue = serializers.SerializerMethodField()
        opened_at = serializers.DateTimeField()

        def get_url(self, case: PerpetratorCase) -> str:
            return case_url(case)

        @extend_schema_field(serializers.DateField(allow_null=True))
        def get_assessment_due_on(self, case: PerpetratorCase) -> Any:
            """Null for a closed case."""
            return assessment_due_on(case, self.context["intervals"][case.service_id])

        def get_assessment_overdue(self, case: PerpetratorCase) -> bool:
            due = self.get_assessment_due_on(case)
            return due is not None and due < timezone.localdate()

    @extend_schema(
        operation_id="cases_list",
        summary="List perpetrator cases",
        parameters=[InputSerializer],
        responses={200: OutputSerializer(many=True), **errors(400, 401, 403)},
        tags=TAGS_CASES,
    )
    def get(self, request):
        params = CaseListApi.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        cases: QuerySet[PerpetratorCase] = case_list_filtered_for_user(
            user=request.user,
            mine=filters["mine"],
            statuses=[filters["status"]] if filters.get("status") else None,
            service_id=filters.get("service") or None,
        )
        paginator, rows = paginate(
            request=request, view=self, queryset=cases.order_by("-opened_at", "reference")
        )
        audit_api_read(
            request=request,
            object_type="perpetrator_case",
            detail={"list": True, "references": [c.reference for c in rows]},
        )
        data = CaseListApi.OutputSerializer(
            rows,
            many=True,
            context={"intervals": assessment_intervals({c.service_id for c in rows})},
        ).data
        return list_response(paginator, data)


class CaseOpenApi(CaseApiView):
    """Open a perpetrator case directly on one of the organisation's services."""

    policy = CASE_WORK

    @extend_schema_serializer(component_name="CaseOpen")
    class InputSerializer(serializers.Serializer):
        service = OwnServiceField(side="perpetrator", help_text="The service's id.")
        person_name = serializers.CharField(max_length=200, allow_blank=True)
        intervention = serializers.CharField(max_length=200, allow_blank=True)
        tier = risk_tier_field(required=False, allow_blank=True, default="")
        person_date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
        person_gender = EnumField(
            "CasePersonGenderEnum",
            choices=Gender.choices,
            required=False,
            allow_blank=True,
            default="",
        )
        planned_sessions = serializers.IntegerField(
            min_value=0, max_value=500, required=False, allow_null=True, default=None
        )
        planned_weeks = serializers.IntegerField(
            min_value=0, max_value=520, required=False, allow_null=True, default=None
        )

    OutputSerializer = CaseStateSerializer

    @extend_schema(
        operation_id="cases_open",
        summary="Open a perpetrator case",
        request=InputSerializer,
        responses={
            201: OpenApiResponse(OutputSerializer, description="Case opened."),
            **errors(400, 401, 403),
        },
        tags=TAGS_CASES,
    )
    def post(self, request):
        data = _valid(CaseOpenApi.InputSerializer, request)
        service = data.pop("service")
        case = perpetrator_case_open(
            actor=request.user, service=service, data=CaseInput(**data), request=request
        )
        return _created(CaseOpenApi.OutputSerializer(case).data, case_url(case))


class CasesApi(CaseApiView):
    """/cases/: GET and POST, each the named operation\'s own method."""

    policy = CASE_WORK
    get = CaseListApi.get
    post = CaseOpenApi.post


# --- One case ------------------------------------------------------------------------------


@extend_schema_serializer(component_name="CaseHandover")
class HandoverSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    to_organisation = serializers.UUIDField(source="to_organisation_id", allow_null=True)
    to_agency = serializers.CharField()
    to_contact = serializers.CharField()
    summary = serializers.CharField()
    handed_over_on = serializers.DateField()
    recorded_by = UserRefSerializer(allow_null=True)


class CaseDetailApi(RecordApiView):
    """One perpetrator case, as its perpetrator-side staff read it. Audited."""

    policy = CASE_WORK

    @extend_schema_serializer(component_name="Case")
    class OutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        url = serializers.SerializerMethodField()
        service = ServiceRefSerializer()
        referral = serializers.CharField(source="referral.reference", allow_null=True, default=None)
        worker = UserRefSerializer(allow_null=True)
        person_name = serializers.CharField()
        person_date_of_birth = serializers.DateField(allow_null=True)
        person_gender = serializers.CharField()
        intervention = serializers.CharField()
        tier = risk_tier_field(allow_blank=True)
        current_risk = risk_tier_field(allow_blank=True)
        planned_sessions = serializers.IntegerField(allow_null=True)
        planned_weeks = serializers.IntegerField(allow_null=True)
        status = _case_status_field()
        status_label = serializers.CharField(source="get_status_display")
        status_changed_at = serializers.DateTimeField()
        allowed_moves = serializers.SerializerMethodField()
        activation_blockers = serializers.SerializerMethodField()
        opened_at = serializers.DateTimeField()
        closed_at = serializers.DateTimeField(allow_null=True)
        ending_reason = serializers.CharField()
        allocation_override_reason = serializers.CharField()
        engagement_review_due = serializers.BooleanField()
        assessment_due_on = serializers.SerializerMethodField()
        no_victim_reason = serializers.CharField()
        no_victim_approved_by = UserRefSerializer(allow_null=True)
        no_victim_approved_at = serializers.DateTimeField(allow_null=True)
        statutory_lead = UserRefSerializer(allow_null=True)
        police_contact = UserRefSerializer(allow_null=True)
        panel_chair = UserRefSerializer(allow_null=True)
        consent = serializers.SerializerMethodField(
            help_text="The consent decision in force: given, withdrawn, without_consent, or "
            "empty when none is recorded."
        )
        support_cases = serializers.SerializerMethodField()
        history = HistorySerializer(many=True)
        consents = ConsentSerializer(many=True)
        handovers = serializers.SerializerMethodField()
        equality = serializers.SerializerMethodField()

        def get_url(self, case: PerpetratorCase) -> str:
            return case_url(case)

        def get_allowed_moves(self, case: PerpetratorCase) -> list[str]:
            """Statuses the case may move to next (the rules may still refuse a move)."""
            return sorted(CASE_TRANSITIONS[case.status])

        def get_activation_blockers(self, case: PerpetratorCase) -> list[str]:
            """Why the case cannot become active now (empty when it can, or once active)."""
            if case.status not in (CaseStatus.ASSESSMENT, CaseStatus.WAITING):
                return []
            return activation_blockers(case)

        @extend_schema_field(serializers.DateField(allow_null=True))
        def get_assessment_due_on(self, case: PerpetratorCase) -> Any:
            interval = case_settings_for(case.service).assessment_interval_days
            return assessment_due_on(case, interval)

        def get_consent(self, case: PerpetratorCase) -> str:
            return consent_in_force(case)

        @extend_schema_field(SupportCaseRefSerializer(many=True))
        def get_support_cases(self, case: PerpetratorCase) -> Any:
            """Linked support cases: reference and status only, never their record."""
            return SupportCaseRefSerializer(support_links_for_case(case=case), many=True).data

        @extend_schema_field(HandoverSerializer(many=True))
        def get_handovers(self, case: PerpetratorCase) -> Any:
            return HandoverSerializer(handovers_for_case(case=case), many=True).data

        @extend_schema_field(EqualityAnswersSerializer(allow_null=True))
        def get_equality(self, case: PerpetratorCase) -> Any:
            profile = getattr(case, "equality", None)
            return EqualityAnswersSerializer(profile).data if profile else None

    @extend_schema(
        operation_id="cases_read",
        summary="Read a perpetrator case",
        responses={200: OutputSerializer, **errors(401, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def get(self, request, case_reference: str):
        case = _case(request, case_reference)
        case_view_record(actor=request.user, case=case, request=request)
        case = case_with_record(case=case)
        return Response(CaseDetailApi.OutputSerializer(case).data)


class CaseAssignApi(RecordApiView):
    """Allocate the case's worker: never the worker on a linked support case; above the
    service's maximum caseload only with a manager's override and reason."""

    policy = CASE_WORK

    @extend_schema_serializer(component_name="CaseAssign")
    class InputSerializer(serializers.Serializer):
        worker = ActiveUserField(help_text="The worker's user id.")
        override_reason = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=2000
        )

    OutputSerializer = CaseStateSerializer

    @extend_schema(
        operation_id="cases_assign",
        summary="Allocate a case's worker",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseAssignApi.InputSerializer, request)
        perpetrator_case_assign(actor=request.user, case=case, request=request, **data)
        return _state(case)


class CaseTransitionApi(RecordApiView):
    """Move a case along its status machine. Refused (400, naming the rule) when the move is
    illegal, when it would become active without a linked support case or an approved
    reason, without consent or a safeguarding reason, or when it would end at high risk
    without a recorded handover."""

    policy = CASE_WORK

    @extend_schema_serializer(component_name="CaseTransition")
    class InputSerializer(serializers.Serializer):
        to_status = _case_status_field()
        reason = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=5000,
            help_text="Needed to suspend, close, de-select or record a drop-out.",
        )

    OutputSerializer = CaseStateSerializer

    @extend_schema(
        operation_id="cases_transition",
        summary="Change a case's status",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseTransitionApi.InputSerializer, request)
        case_transition(actor=request.user, case=case, request=request, **data)
        return _state(case)


class CaseDetailsUpdateApi(RecordApiView):
    """Change the intervention, planned length, tier and named contacts of a case. Only the
    fields sent change; send null to clear a named contact."""

    policy = CASE_WORK

    @extend_schema_serializer(component_name="CaseDetailsUpdate")
    class InputSerializer(serializers.Serializer):
        intervention = serializers.CharField(max_length=200, allow_blank=True, required=False)
        tier = risk_tier_field(required=False, allow_blank=True)
        planned_sessions = serializers.IntegerField(
            min_value=0, max_value=500, required=False, allow_null=True
        )
        planned_weeks = serializers.IntegerField(
            min_value=0, max_value=520, required=False, allow_null=True
        )
        statutory_lead = ActiveUserField(required=False, allow_null=True)
        police_contact = ActiveUserField(required=False, allow_null=True)
        panel_chair = ActiveUserField(required=False, allow_null=True)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs:
                raise serializers.ValidationError("Send at least one field to change")
            return attrs

    OutputSerializer = CaseStateSerializer

    @extend_schema(
        operation_id="cases_update_details",
        summary="Change a case's details and named contacts",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseDetailsUpdateApi.InputSerializer, request)
        perpetrator_case_update(actor=request.user, case=case, request=request, **data)
        return _state(case)


# --- Assessments ---------------------------------------------------------------------------


@extend_schema_serializer(component_name="CaseAssessment")
class AssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = EnumField("AssessmentKindEnum", choices=AssessmentKind.choices)
    assessed_on = serializers.DateField()
    tool = serializers.CharField()
    tier = risk_tier_field()
    needs = serializers.ListField(child=serializers.CharField())
    responsibility = EnumField("ResponsibilityTakingEnum", choices=ResponsibilityTaking.choices)
    summary = serializers.CharField()
    assessed_by = UserRefSerializer(allow_null=True)


class CaseAssessmentListApi(RecordApiView):
    """A case's assessments, latest first. Audited as a read of the case."""

    policy = CASE_WORK
    OutputSerializer = AssessmentSerializer

    @extend_schema(
        operation_id="cases_assessments_list",
        summary="List a case's assessments",
        parameters=[PageInput],
        responses={200: OutputSerializer(many=True), **errors(400, 401, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def get(self, request, case_reference: str):
        case = _case(request, case_reference)
        PageInput(data=request.query_params).is_valid(raise_exception=True)
        case_view_record(actor=request.user, case=case, request=request)
        rows: QuerySet[CaseAssessment] = assessments_for_case(case=case)
        paginator, page = paginate(request=request, view=self, queryset=rows)
        return list_response(
            paginator, CaseAssessmentListApi.OutputSerializer(page, many=True).data
        )


class CaseAssessmentRecordApi(RecordApiView):
    """Record an assessment. The case's current risk becomes the assessed tier; a rise to high
    risk reaches the support side at once as a risk event."""

    policy = CASE_WORK

    @extend_schema_serializer(component_name="CaseAssessmentRecord")
    class InputSerializer(serializers.Serializer):
        kind = EnumField("AssessmentKindEnum", choices=AssessmentKind.choices)
        tool = serializers.CharField(max_length=200, allow_blank=True)
        tier = risk_tier_field()
        assessed_on = serializers.DateField(required=False, allow_null=True, default=None)
        needs = serializers.ListField(
            child=EnumField("CaseNeedEnum", choices=Need.choices), required=False, default=list
        )
        responsibility = EnumField(
            "ResponsibilityTakingEnum",
            choices=ResponsibilityTaking.choices,
            required=False,
            default=ResponsibilityTaking.NOT_ASSESSED,
        )
        summary = serializers.CharField(
            max_length=20_000, required=False, allow_blank=True, default=""
        )

    OutputSerializer = AssessmentSerializer

    @extend_schema(
        operation_id="cases_assessments_record",
        summary="Record an assessment",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseAssessmentRecordApi.InputSerializer, request)
        assessment = case_assessment_record(actor=request.user, case=case, request=request, **data)
        return _created(CaseAssessmentRecordApi.OutputSerializer(assessment).data)


class CaseAssessmentsApi(RecordApiView):
    """/cases/<ref>/assessments/: GET and POST, each the named operation\'s own method."""

    policy = CASE_WORK
    get = CaseAssessmentListApi.get
    post = CaseAssessmentRecordApi.post


# --- Notes ---------------------------------------------------------------------------------


class CaseNoteListApi(RecordApiView):
    """A case's notes (perpetrator side only), latest first. Audited as a read of the case."""

    policy = CASE_WORK
    OutputSerializer = NoteSerializer

    @extend_schema(
        operation_id="cases_notes_list",
        summary="List a case's notes",
        parameters=[PageInput],
        responses={200: OutputSerializer(many=True), **errors(400, 401, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def get(self, request, case_reference: str):
        case = _case(request, case_reference)
        PageInput(data=request.query_params).is_valid(raise_exception=True)
        case_view_record(actor=request.user, case=case, request=request)
        rows = notes_for_case(case=case)
        paginator, page = paginate(request=request, view=self, queryset=rows)
        return list_response(paginator, CaseNoteListApi.OutputSerializer(page, many=True).data)


class CaseNoteAddApi(RecordApiView):
    """Add a note to the case. Notes never cross to the support side."""

    policy = CASE_WORK
    InputSerializer = NoteInput
    OutputSerializer = NoteSerializer

    @extend_schema(
        operation_id="cases_notes_add",
        summary="Add a note to a case",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseNoteAddApi.InputSerializer, request)
        note = case_note_add(actor=request.user, case=case, request=request, **data)
        return _created(CaseNoteAddApi.OutputSerializer(note).data)


class CaseNotesApi(RecordApiView):
    """/cases/<ref>/notes/: GET and POST, each the named operation\'s own method."""

    policy = CASE_WORK
    get = CaseNoteListApi.get
    post = CaseNoteAddApi.post


# --- Consent, handover, no victim-survivor -------------------------------------------------


class CaseConsentRecordApi(RecordApiView):
    """Record the person's consent decision; work without consent needs a safeguarding
    reason."""

    policy = CASE_WORK
    InputSerializer = ConsentInput
    OutputSerializer = ConsentSerializer

    @extend_schema(
        operation_id="cases_consents_record",
        summary="Record consent on a case",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseConsentRecordApi.InputSerializer, request)
        consent = consent_record(actor=request.user, case=case, request=request, **data)
        return _created(CaseConsentRecordApi.OutputSerializer(consent).data)


class CaseHandoverRecordApi(RecordApiView):
    """Record a handover of the case's risk to the agency that holds it: needed before a
    high-risk case closes, drops out or is de-selected."""

    policy = CASE_WORK
    OutputSerializer = HandoverSerializer

    @extend_schema_serializer(component_name="CaseHandoverRecord")
    class InputSerializer(serializers.Serializer):
        to_agency = serializers.CharField(max_length=200, allow_blank=True)
        to_contact = serializers.CharField(max_length=200, allow_blank=True)
        summary = serializers.CharField(max_length=20_000, allow_blank=True)
        handed_over_on = serializers.DateField(
            required=False, allow_null=True, default=None, help_text="Today unless given."
        )
        to_organisation = OrganisationField(required=False, allow_null=True, default=None)

    @extend_schema(
        operation_id="cases_handovers_record",
        summary="Record a high-risk handover",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseHandoverRecordApi.InputSerializer, request)
        handover = case_handover_record(actor=request.user, case=case, request=request, **data)
        return _created(CaseHandoverRecordApi.OutputSerializer(handover).data)


class CaseNoVictimRecordApi(RecordApiView):
    """Record why there is no identifiable victim-survivor to support. A manager must then
    approve it before the case can become active without a linked support case."""

    policy = CASE_WORK
    OutputSerializer = CaseStateSerializer

    @extend_schema_serializer(component_name="CaseNoVictimRecord")
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=5000, allow_blank=True)

    @extend_schema(
        operation_id="cases_no_victim_record",
        summary="Record that there is no identifiable victim-survivor",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseNoVictimRecordApi.InputSerializer, request)
        case_no_victim_record(actor=request.user, case=case, request=request, **data)
        return _state(case)


class CaseNoVictimApproveApi(RecordApiView):
    """A manager of the service (not the case worker) approves the recorded reason."""

    policy = CASE_WORK
    OutputSerializer = CaseStateSerializer

    @extend_schema(
        operation_id="cases_no_victim_approve",
        summary="Approve the no-victim-survivor reason (managers)",
        request=None,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        case_no_victim_approve(actor=request.user, case=case, request=request)
        return _state(case)


class CaseEngagementReviewApi(RecordApiView):
    """Clear the engagement-review flag once engagement has been reviewed."""

    policy = CASE_WORK
    OutputSerializer = CaseStateSerializer

    @extend_schema(
        operation_id="cases_engagement_review_done",
        summary="Record that engagement was reviewed",
        request=None,
        responses={200: OutputSerializer, **errors(401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        case_engagement_review_done(actor=request.user, case=case, request=request)
        return _state(case)


# --- Support, risk, equality, sharing ------------------------------------------------------


class CaseSupportRequestApi(RecordApiView):
    """Ask for integrated support for a victim-survivor: a linked support case held by the
    case's organisation, or by a partner under an active sharing agreement that covers
    contact details and risk. The answer is the new support case's reference and status;
    its record belongs to the support side."""

    policy = CASE_WORK
    OutputSerializer = SupportCaseRefSerializer

    @extend_schema_serializer(component_name="CaseSupportRequest")
    class InputSerializer(serializers.Serializer):
        victim_name = serializers.CharField(max_length=200, allow_blank=True)
        organisation = OrganisationField(
            required=False,
            allow_null=True,
            default=None,
            help_text="A partner organisation; the case's own unless given.",
        )
        contact = ContactInput(required=False, default=dict)

    @extend_schema(
        operation_id="cases_support_requests_create",
        summary="Ask for support for a victim-survivor",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseSupportRequestApi.InputSerializer, request)
        support = support_case_request(
            actor=request.user,
            case=case,
            victim_name=data["victim_name"],
            organisation=data["organisation"],
            contact=dict(data["contact"]),
            request=request,
        )
        return _created(CaseSupportRequestApi.OutputSerializer(support).data)


class CaseRiskEventListApi(RecordApiView):
    """Every risk event on the case, latest first. Audited as a read of the case."""

    policy = CASE_WORK
    OutputSerializer = RiskEventOutput

    @extend_schema(
        operation_id="cases_risk_events_list",
        summary="List a case's risk events",
        parameters=[PageInput],
        responses={200: OutputSerializer(many=True), **errors(400, 401, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def get(self, request, case_reference: str):
        case = _case(request, case_reference)
        PageInput(data=request.query_params).is_valid(raise_exception=True)
        case_view_record(actor=request.user, case=case, request=request)
        rows = risk_events_for_case(case=case).order_by("-created_at", "pk")
        paginator, page = paginate(request=request, view=self, queryset=rows)
        data = CaseRiskEventListApi.OutputSerializer(
            page, many=True, context={"case_refs": {case.pk: case.reference}}
        ).data
        return list_response(paginator, data)


class CaseRiskEventRaiseApi(RecordApiView):
    """Raise a risk event from the perpetrator side: delivered at once to the victim-survivor's
    support worker and the named statutory lead."""

    policy = CASE_WORK
    InputSerializer = RiskEventInput
    OutputSerializer = RiskEventOutput

    @extend_schema(
        operation_id="cases_risk_events_raise",
        summary="Raise a risk event from a case",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseRiskEventRaiseApi.InputSerializer, request)
        event = risk_event_raise(actor=request.user, case=case, request=request, **data)
        body = CaseRiskEventRaiseApi.OutputSerializer(event).data
        return _created(body, body["url"])


class CaseRiskEventsApi(RecordApiView):
    """/cases/<ref>/risk-events/: GET and POST, each the named operation\'s own method."""

    policy = CASE_WORK
    get = CaseRiskEventListApi.get
    post = CaseRiskEventRaiseApi.post


class CaseEqualityRecordApi(RecordApiView):
    """Record equality monitoring for the person on the case."""

    policy = CASE_WORK
    InputSerializer = EqualityAnswersSerializer
    OutputSerializer = EqualityAnswersSerializer

    @extend_schema(
        operation_id="cases_equality_record",
        summary="Record equality monitoring on a case",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        answers = _valid(CaseEqualityRecordApi.InputSerializer, request)
        profile = equality_record(actor=request.user, case=case, answers=answers, request=request)
        return Response(CaseEqualityRecordApi.OutputSerializer(profile).data)


class CaseShareRecordApi(RecordApiView):
    """Record sharing a category of the case's information with another organisation: only
    under an agreement in force that covers it; a refusal is audited."""

    policy = CASE_WORK
    InputSerializer = ShareInput
    OutputSerializer = ShareOutput

    @extend_schema(
        operation_id="cases_shares_record",
        summary="Record a share of a case's information",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_CASES,
    )
    def post(self, request, case_reference: str):
        case = _case(request, case_reference)
        data = _valid(CaseShareRecordApi.InputSerializer, request)
        share = share_record(actor=request.user, case=case, request=request, **data)
        return _created(CaseShareRecordApi.OutputSerializer(share).data)
