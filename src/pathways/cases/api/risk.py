"""Risk events and alerts on the API (/api/v1/risk-events/…, /api/v1/alerts/…), policy
RISK_ALERTS: any signed-in user, each seeing only the risk events of cases they work either
side of or are named on, and only the alerts delivered to them. Anything else is a 404.
Reading risk events is audited."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ..models import Alert, AlertKind, DeliveryRole, RiskEvent
from ..policies import RISK_ALERTS
from ..selectors.cases import alert_get_for_user, alert_list_for_user, risk_event_get_for_user
from ..selectors.cases import risk_event_list_for_user as _risk_events
from ..services.risk import (
    alert_acknowledge,
    can_record_victim_told,
    risk_event_victim_told,
    risk_event_view_record,
)
from .common import (
    TAGS_RISK,
    CaseApiView,
    EnumField,
    PageInput,
    audit_api_read,
    errors,
    list_response,
    paginate,
)
from .serializers import RiskEventOutput

NOT_FOUND_EVENT = "No such risk event, or not one you may see."
NOT_FOUND_ALERT = "No such alert on your list."


@extend_schema_serializer(component_name="RiskEventDetail")
class RiskEventDetailSerializer(RiskEventOutput):
    can_record_victim_told = serializers.SerializerMethodField(
        help_text="Whether you may record that the person at risk was told."
    )
    victim_told_note = serializers.SerializerMethodField(
        help_text="The note made on telling them: for the support side and the statutory lead "
        "only (null for anyone else)."
    )

    def get_can_record_victim_told(self, event: RiskEvent) -> bool:
        return bool(self.context.get("may_record"))

    def get_victim_told_note(self, event: RiskEvent) -> str | None:
        return event.victim_told_note if self.context.get("may_record") else None


def _detail(request, event: RiskEvent) -> Response:
    context = {"may_record": can_record_victim_told(request.user, event)}
    return Response(RiskEventDetailSerializer(event, context=context).data)


class RiskEventListApi(CaseApiView):
    """Risk events on cases you work either side of or are named on, latest first."""

    policy = RISK_ALERTS

    class InputSerializer(PageInput):
        needs_victim_told = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Only specific threats the person at risk has not yet been told of.",
        )

    OutputSerializer = RiskEventOutput

    @extend_schema(
        operation_id="risk_events_list",
        summary="List risk events you may see",
        parameters=[InputSerializer],
        responses={200: OutputSerializer(many=True), **errors(400, 401)},
        tags=TAGS_RISK,
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = _risk_events(
            user=request.user, needs_victim_told=params.validated_data["needs_victim_told"]
        )
        paginator, page = paginate(
            request=request, view=self, queryset=rows.order_by("-created_at", "pk")
        )
        audit_api_read(
            request=request,
            object_type="risk_event",
            detail={"list": True, "ids": [str(e.pk) for e in page]},
        )
        return list_response(paginator, self.OutputSerializer(page, many=True).data)


class RiskEventDetailApi(CaseApiView):
    """One risk event. Audited."""

    policy = RISK_ALERTS
    OutputSerializer = RiskEventDetailSerializer

    @extend_schema(
        operation_id="risk_events_read",
        summary="Read a risk event",
        responses={200: OutputSerializer, **errors(401, 404, not_found=NOT_FOUND_EVENT)},
        tags=TAGS_RISK,
    )
    def get(self, request, event_id: Any):
        event = risk_event_get_for_user(user=request.user, event_id=event_id)
        risk_event_view_record(actor=request.user, event=event, request=request)
        return _detail(request, event)


class RiskEventVictimToldApi(CaseApiView):
    """Record that the person at risk of a specific threat was told: the support side of the
    case or its statutory lead."""

    policy = RISK_ALERTS
    OutputSerializer = RiskEventDetailSerializer

    @extend_schema_serializer(component_name="RiskEventVictimTold")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    @extend_schema(
        operation_id="risk_events_victim_told",
        summary="Record that the person at risk was told",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **errors(400, 401, 403, 404, not_found=NOT_FOUND_EVENT),
        },
        tags=TAGS_RISK,
    )
    def post(self, request, event_id: Any):
        event = risk_event_get_for_user(user=request.user, event_id=event_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        risk_event_victim_told(
            actor=request.user, event=event, note=data.validated_data["note"], request=request
        )
        return _detail(request, event)


# --- Alerts --------------------------------------------------------------------------------


@extend_schema_serializer(component_name="CaseAlert")
class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = EnumField("CaseAlertKindEnum", choices=AlertKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    role = EnumField(
        "AlertDeliveryRoleEnum",
        choices=DeliveryRole.choices,
        help_text="Why it was delivered to you.",
    )
    case = serializers.CharField(source="case.reference", help_text="The case's reference.")
    risk_event = serializers.SerializerMethodField(help_text="The risk event's URL, or null.")
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)

    def get_risk_event(self, alert: Alert) -> str | None:
        if alert.risk_event_id is None:
            return None
        return reverse("api-risk-event", kwargs={"event_id": alert.risk_event_id})


class AlertListApi(CaseApiView):
    """Alerts delivered to you, unacknowledged first."""

    policy = RISK_ALERTS
    OutputSerializer = AlertSerializer

    class InputSerializer(PageInput):
        open_only = serializers.BooleanField(
            required=False, default=False, help_text="Only alerts not yet acknowledged."
        )

    @extend_schema(
        operation_id="alerts_list",
        summary="List your alerts",
        parameters=[InputSerializer],
        responses={200: OutputSerializer(many=True), **errors(400, 401)},
        tags=TAGS_RISK,
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = alert_list_for_user(user=request.user, open_only=params.validated_data["open_only"])
        paginator, page = paginate(request=request, view=self, queryset=rows)
        return list_response(paginator, self.OutputSerializer(page, many=True).data)


class AlertAcknowledgeApi(CaseApiView):
    """Acknowledge one of your alerts."""

    policy = RISK_ALERTS
    OutputSerializer = AlertSerializer

    @extend_schema(
        operation_id="alerts_acknowledge",
        summary="Acknowledge an alert",
        request=None,
        responses={200: OutputSerializer, **errors(401, 404, not_found=NOT_FOUND_ALERT)},
        tags=TAGS_RISK,
    )
    def post(self, request, alert_id: int):
        alert = alert_get_for_user(user=request.user, alert_id=alert_id)
        alert_acknowledge(actor=request.user, alert=alert, request=request)
        return Response(self.OutputSerializer(alert).data)
