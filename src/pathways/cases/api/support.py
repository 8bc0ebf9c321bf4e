"""Victim-survivor support cases on the API (/api/v1/support-cases/…), policy SUPPORT_WORK.

The confidential record: only support workers of the organisation holding the support case
read or change it, never the worker on the linked perpetrator case (even one who also holds
a support role). Anyone else asking for a support case by reference gets a 404, whatever
their role. Reading a support case (or its notes or risk events) is audited.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from pathways.directory.models import Organisation

from ..models import SupportCase, SupportStatus
from ..policies import SUPPORT_WORK, support_side_org_ids
from ..selectors.cases import (
    notes_for_support_case,
    risk_events_for_support_case,
    support_case_get_for_user,
    support_case_list_filtered_for_user,
    support_case_with_record,
)
from ..selectors.directory import support_organisation_get_for_user
from ..services.records import case_note_add, consent_record, equality_record
from ..services.risk import risk_event_raise
from ..services.sharing import share_record
from ..services.support import (
    support_case_assign,
    support_case_link,
    support_case_open,
    support_case_transition,
    support_case_update_contact,
    support_case_view_record,
)
from .common import (
    TAGS_SUPPORT,
    ActiveUserField,
    CaseApiView,
    ConsentSerializer,
    EnumField,
    EqualityAnswersSerializer,
    HistorySerializer,
    NoteSerializer,
    OrganisationRefSerializer,
    OwnServiceField,
    PageInput,
    RecordApiView,
    ServiceRefSerializer,
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
    ShareInput,
    ShareOutput,
    SupportRiskEventOutput,
    risk_tier_field,
    safe_answer_field,
)

SUPPORT_STATUS = "SupportStatusEnum"
NOT_FOUND = "No such support case, or not one you may see."


def support_url(support_case: SupportCase) -> str:
    return reverse("api-support-case", kwargs={"support_reference": support_case.reference})


def _status_field(**kwargs: Any) -> EnumField:
    return EnumField(SUPPORT_STATUS, choices=SupportStatus.choices, **kwargs)


def _linked(support_case: SupportCase) -> dict[str, str] | None:
    case = support_case.perpetrator_case
    return {"reference": case.reference} if case is not None else None


@extend_schema_serializer(component_name="LinkedCaseRef")
class LinkedCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()


@extend_schema_serializer(component_name="SupportCaseState")
class SupportCaseStateSerializer(serializers.Serializer):
    """Where a support case stands after an action."""

    reference = serializers.CharField()
    url = serializers.SerializerMethodField()
    status = _status_field()
    status_label = serializers.CharField(source="get_status_display")
    worker = UserRefSerializer(allow_null=True)
    linked_case = serializers.SerializerMethodField()

    def get_url(self, support_case: SupportCase) -> str:
        return support_url(support_case)

    @extend_schema_field(LinkedCaseSerializer(allow_null=True))
    def get_linked_case(self, support_case: SupportCase) -> dict[str, str] | None:
        return _linked(support_case)


def _state(support_case: SupportCase, code: int = status.HTTP_200_OK) -> Response:
    return Response(SupportCaseStateSerializer(support_case).data, status=code)


def _created(data: Any, location: str | None = None) -> Response:
    """201; a Location only where the new thing has a URL of its own."""
    headers = {"Location": location} if location else None
    return Response(data, status=status.HTTP_201_CREATED, headers=headers)


def _support_case(request, support_reference: str) -> SupportCase:
    """The support case the user may work on (404 otherwise)."""
    return support_case_get_for_user(user=request.user, reference=support_reference)


def _valid(serializer_class: Any, request) -> dict[str, Any]:
    data = serializer_class(data=request.data, context={"request": request})
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


# --- The list and opening a support case ---------------------------------------------------


class SupportCaseListApi(CaseApiView):
    """The support cases of the user's organisations (except any linked to a perpetrator case
    the user works), newest first."""

    policy = SUPPORT_WORK

    class InputSerializer(PageInput):
        status = _status_field(required=False)
        mine = serializers.BooleanField(
            required=False, default=False, help_text="Only support cases allocated to me."
        )

    @extend_schema_serializer(component_name="SupportCaseListItem")
    class OutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        url = serializers.SerializerMethodField()
        organisation = OrganisationRefSerializer()
        worker = UserRefSerializer(allow_null=True)
        victim_name = serializers.CharField()
        status = _status_field()
        status_label = serializers.CharField(source="get_status_display")
        current_risk = risk_tier_field(allow_blank=True)
        contact_wish = serializers.CharField()
        linked_case = serializers.SerializerMethodField()
        opened_at = serializers.DateTimeField()

        def get_url(self, support_case: SupportCase) -> str:
            return support_url(support_case)

        @extend_schema_field(LinkedCaseSerializer(allow_null=True))
        def get_linked_case(self, support_case: SupportCase) -> dict[str, str] | None:
            return _linked(support_case)

    @extend_schema(
        operation_id="support_cases_list",
        summary="List victim-survivor support cases",
        parameters=[InputSerializer],
        responses={200: OutputSerializer(many=True), **errors(400, 401, 403)},
        tags=TAGS_SUPPORT,
    )
    def get(self, request):
        params = SupportCaseListApi.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        rows: QuerySet[SupportCase] = support_case_list_filtered_for_user(
            user=request.user, mine=filters["mine"], status=filters.get("status") or ""
        )
        paginator, page = paginate(
            request=request, view=self, queryset=rows.order_by("-opened_at", "reference")
        )
        audit_api_read(
            request=request,
            object_type="support_case",
            detail={"list": True, "references": [sc.reference for sc in page]},
        )
        return list_response(paginator, SupportCaseListApi.OutputSerializer(page, many=True).data)


class SupportCaseOpenApi(CaseApiView):
    """Open a support case directly (for example when the victim-survivor came to the service
    first); link it to a perpetrator case later."""

    policy = SUPPORT_WORK
    OutputSerializer = SupportCaseStateSerializer

    @extend_schema_serializer(component_name="SupportCaseOpen")
    class InputSerializer(serializers.Serializer):
        victim_name = serializers.CharField(max_length=200, allow_blank=True)
        organisation = serializers.UUIDField(
            required=False,
            allow_null=True,
            default=None,
            help_text="Your organisation's id; needed only if you support victim-survivors "
            "for more than one.",
        )
        service = OwnServiceField(side="support", required=False, allow_null=True, default=None)
        contact = ContactInput(required=False, default=dict)

        def validate_organisation(self, value: Any) -> Organisation:
            user = self.context["request"].user
            own = support_side_org_ids(user)
            if value is None:
                if len(own) != 1:
                    raise serializers.ValidationError("Choose your organisation")
                value = next(iter(own))
            if value not in own:
                raise serializers.ValidationError("Choose your organisation")
            return support_organisation_get_for_user(user=user, organisation_id=value)

    @extend_schema(
        operation_id="support_cases_open",
        summary="Open a victim-survivor support case",
        request=InputSerializer,
        responses={
            201: OpenApiResponse(OutputSerializer, description="Support case opened."),
            **errors(400, 401, 403),
        },
        tags=TAGS_SUPPORT,
    )
    def post(self, request):
        data = _valid(SupportCaseOpenApi.InputSerializer, request)
        support_case = support_case_open(
            actor=request.user,
            organisation=data["organisation"],
            victim_name=data["victim_name"],
            contact=dict(data["contact"]),
            service=data["service"],
            request=request,
        )
        return _created(
            SupportCaseOpenApi.OutputSerializer(support_case).data, support_url(support_case)
        )


class SupportCasesApi(CaseApiView):
    """/support-cases/: GET and POST, each the named operation\'s own method."""

    policy = SUPPORT_WORK
    get = SupportCaseListApi.get
    post = SupportCaseOpenApi.post


# --- One support case ----------------------------------------------------------------------


class SupportCaseDetailApi(RecordApiView):
    """One support case, as the victim-survivor's support worker reads it. Audited."""

    policy = SUPPORT_WORK

    @extend_schema_serializer(component_name="SupportCase")
    class OutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        url = serializers.SerializerMethodField()
        organisation = OrganisationRefSerializer()
        service = ServiceRefSerializer(allow_null=True)
        linked_case = serializers.SerializerMethodField()
        worker = UserRefSerializer(allow_null=True)
        victim_name = serializers.CharField()
        contact_phone = serializers.CharField()
        contact_email = serializers.CharField()
        safe_address = serializers.CharField()
        safe_times = serializers.CharField()
        voicemail_safe = safe_answer_field()
        text_safe = safe_answer_field()
        contact_wish = serializers.CharField()
        contact_wish_label = serializers.CharField(source="get_contact_wish_display")
        contact_wish_notes = serializers.CharField()
        status = _status_field()
        status_label = serializers.CharField(source="get_status_display")
        status_changed_at = serializers.DateTimeField()
        current_risk = risk_tier_field(allow_blank=True)
        opened_at = serializers.DateTimeField()
        closed_at = serializers.DateTimeField(allow_null=True)
        consent = serializers.SerializerMethodField(
            help_text="The consent decision in force, or empty when none is recorded."
        )
        consents = ConsentSerializer(many=True)
        history = HistorySerializer(many=True)
        equality = serializers.SerializerMethodField()

        def get_url(self, support_case: SupportCase) -> str:
            return support_url(support_case)

        @extend_schema_field(LinkedCaseSerializer(allow_null=True))
        def get_linked_case(self, support_case: SupportCase) -> dict[str, str] | None:
            return _linked(support_case)

        def get_consent(self, support_case: SupportCase) -> str:
            latest = next(iter(support_case.consents.all()), None)
            return latest.state if latest else ""

        @extend_schema_field(EqualityAnswersSerializer(allow_null=True))
        def get_equality(self, support_case: SupportCase) -> dict[str, Any] | None:
            profile = getattr(support_case, "equality", None)
            return EqualityAnswersSerializer(profile).data if profile else None

    @extend_schema(
        operation_id="support_cases_read",
        summary="Read a victim-survivor support case",
        responses={200: OutputSerializer, **errors(401, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def get(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        support_case_view_record(actor=request.user, support_case=support_case, request=request)
        support_case = support_case_with_record(support_case=support_case)
        return Response(SupportCaseDetailApi.OutputSerializer(support_case).data)


class SupportCaseAssignApi(RecordApiView):
    """Allocate the support worker: a support worker of the organisation, never the worker
    on the linked perpetrator case."""

    policy = SUPPORT_WORK
    OutputSerializer = SupportCaseStateSerializer

    @extend_schema_serializer(component_name="SupportCaseAssign")
    class InputSerializer(serializers.Serializer):
        worker = ActiveUserField(help_text="The support worker's user id.")
        override_reason = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=2000
        )

    @extend_schema(
        operation_id="support_cases_assign",
        summary="Allocate a support case's worker",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def post(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        data = _valid(SupportCaseAssignApi.InputSerializer, request)
        support_case_assign(actor=request.user, support_case=support_case, request=request, **data)
        return _state(support_case)


class SupportCaseLinkApi(RecordApiView):
    """Link the support case to a perpetrator case by its reference. The two workers must
    differ; across organisations an active sharing agreement must cover risk."""

    policy = SUPPORT_WORK
    OutputSerializer = SupportCaseStateSerializer

    @extend_schema_serializer(component_name="SupportCaseLink")
    class InputSerializer(serializers.Serializer):
        case_reference = serializers.CharField(
            max_length=20, allow_blank=True, help_text="The perpetrator case, such as PC-7K3M-Q9XD."
        )

    @extend_schema(
        operation_id="support_cases_link",
        summary="Link a support case to a perpetrator case",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def post(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        data = _valid(SupportCaseLinkApi.InputSerializer, request)
        support_case_link(actor=request.user, support_case=support_case, request=request, **data)
        return _state(support_case)


class SupportCaseContactApi(RecordApiView):
    """Change the victim-survivor's safe contact details and wishes about contact. Only the
    fields sent change."""

    policy = SUPPORT_WORK
    OutputSerializer = SupportCaseStateSerializer

    @extend_schema_serializer(component_name="SupportContactUpdate")
    class InputSerializer(ContactInput):
        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs:
                raise serializers.ValidationError("Send at least one field to change")
            return attrs

    @extend_schema(
        operation_id="support_cases_update_contact",
        summary="Change safe contact details and wishes",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def post(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        data = _valid(SupportCaseContactApi.InputSerializer, request)
        support_case_update_contact(
            actor=request.user, support_case=support_case, request=request, **data
        )
        return _state(support_case)


class SupportCaseTransitionApi(RecordApiView):
    """Move a support case: open, receiving support, closed (with a reason), reopened."""

    policy = SUPPORT_WORK
    OutputSerializer = SupportCaseStateSerializer

    @extend_schema_serializer(component_name="SupportCaseTransition")
    class InputSerializer(serializers.Serializer):
        to_status = _status_field()
        reason = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=5000
        )

    @extend_schema(
        operation_id="support_cases_transition",
        summary="Change a support case's status",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def post(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        data = _valid(SupportCaseTransitionApi.InputSerializer, request)
        support_case_transition(
            actor=request.user, support_case=support_case, request=request, **data
        )
        return _state(support_case)


# --- Notes ---------------------------------------------------------------------------------


class SupportNoteListApi(RecordApiView):
    """The victim-survivor's own record: the support case's notes, latest first. Audited."""

    policy = SUPPORT_WORK
    OutputSerializer = NoteSerializer

    @extend_schema(
        operation_id="support_cases_notes_list",
        summary="List a support case's notes",
        parameters=[PageInput],
        responses={200: OutputSerializer(many=True), **errors(400, 401, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def get(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        PageInput(data=request.query_params).is_valid(raise_exception=True)
        support_case_view_record(actor=request.user, support_case=support_case, request=request)
        rows = notes_for_support_case(support_case=support_case)
        paginator, page = paginate(request=request, view=self, queryset=rows)
        return list_response(paginator, SupportNoteListApi.OutputSerializer(page, many=True).data)


class SupportNoteAddApi(RecordApiView):
    """Add a note to the victim-survivor's record. It never crosses to the perpetrator side."""

    policy = SUPPORT_WORK
    InputSerializer = NoteInput
    OutputSerializer = NoteSerializer

    @extend_schema(
        operation_id="support_cases_notes_add",
        summary="Add a note to a support case",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def post(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        data = _valid(SupportNoteAddApi.InputSerializer, request)
        note = case_note_add(actor=request.user, support_case=support_case, request=request, **data)
        return _created(SupportNoteAddApi.OutputSerializer(note).data)


class SupportNotesApi(RecordApiView):
    """/support-cases/<ref>/notes/: GET and POST, each the named operation\'s own method."""

    policy = SUPPORT_WORK
    get = SupportNoteListApi.get
    post = SupportNoteAddApi.post


# --- Consent, risk, equality, sharing ------------------------------------------------------


class SupportConsentRecordApi(RecordApiView):
    """Record the victim-survivor's consent decision; work without consent needs a
    safeguarding reason."""

    policy = SUPPORT_WORK
    InputSerializer = ConsentInput
    OutputSerializer = ConsentSerializer

    @extend_schema(
        operation_id="support_cases_consents_record",
        summary="Record consent on a support case",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def post(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        data = _valid(SupportConsentRecordApi.InputSerializer, request)
        consent = consent_record(
            actor=request.user, support_case=support_case, request=request, **data
        )
        return _created(SupportConsentRecordApi.OutputSerializer(consent).data)


class SupportRiskEventListApi(RecordApiView):
    """Risk events the support worker sees on this support case: those raised on the
    perpetrator side of the linked case and those raised from this support case. Audited."""

    policy = SUPPORT_WORK
    OutputSerializer = SupportRiskEventOutput

    @extend_schema(
        operation_id="support_cases_risk_events_list",
        summary="List a support case's risk events",
        parameters=[PageInput],
        responses={200: OutputSerializer(many=True), **errors(400, 401, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def get(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        PageInput(data=request.query_params).is_valid(raise_exception=True)
        support_case_view_record(actor=request.user, support_case=support_case, request=request)
        rows = risk_events_for_support_case(support_case=support_case).order_by("-created_at", "pk")
        paginator, page = paginate(request=request, view=self, queryset=rows)
        linked = support_case.perpetrator_case
        context = {
            "case_refs": {linked.pk: linked.reference} if linked else {},
            "support_refs": {support_case.pk: support_case.reference},
        }
        data = SupportRiskEventListApi.OutputSerializer(page, many=True, context=context).data
        return list_response(paginator, data)


class SupportRiskEventRaiseApi(RecordApiView):
    """Raise a risk event from the support side: delivered at once to the perpetrator case's
    worker and the named statutory lead. The support case must be linked to a perpetrator
    case."""

    policy = SUPPORT_WORK
    InputSerializer = RiskEventInput
    OutputSerializer = SupportRiskEventOutput

    @extend_schema(
        operation_id="support_cases_risk_events_raise",
        summary="Raise a risk event from a support case",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def post(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        data = _valid(SupportRiskEventRaiseApi.InputSerializer, request)
        event = risk_event_raise(
            actor=request.user, support_case=support_case, request=request, **data
        )
        body = SupportRiskEventRaiseApi.OutputSerializer(event).data
        return _created(body, body["url"])


class SupportRiskEventsApi(RecordApiView):
    """/support-cases/<ref>/risk-events/: GET and POST, each the named operation\'s own method."""

    policy = SUPPORT_WORK
    get = SupportRiskEventListApi.get
    post = SupportRiskEventRaiseApi.post


class SupportEqualityRecordApi(RecordApiView):
    """Record equality monitoring for the victim-survivor."""

    policy = SUPPORT_WORK
    InputSerializer = EqualityAnswersSerializer
    OutputSerializer = EqualityAnswersSerializer

    @extend_schema(
        operation_id="support_cases_equality_record",
        summary="Record equality monitoring on a support case",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def post(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        answers = _valid(SupportEqualityRecordApi.InputSerializer, request)
        profile = equality_record(
            actor=request.user, support_case=support_case, answers=answers, request=request
        )
        return Response(SupportEqualityRecordApi.OutputSerializer(profile).data)


class SupportShareRecordApi(RecordApiView):
    """Record sharing a category of the support case's information with another
    organisation: only under an agreement in force that covers it; a refusal is audited."""

    policy = SUPPORT_WORK
    InputSerializer = ShareInput
    OutputSerializer = ShareOutput

    @extend_schema(
        operation_id="support_cases_shares_record",
        summary="Record a share of a support case's information",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 404, not_found=NOT_FOUND)},
        tags=TAGS_SUPPORT,
    )
    def post(self, request, support_reference: str):
        support_case = _support_case(request, support_reference)
        data = _valid(SupportShareRecordApi.InputSerializer, request)
        share = share_record(actor=request.user, support_case=support_case, request=request, **data)
        return _created(SupportShareRecordApi.OutputSerializer(share).data)
