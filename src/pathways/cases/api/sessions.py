"""Sessions and attendance on the API (POST /api/v1/sessions/), policy CASE_WORK. Recording
attendance applies the service's engagement rules, as the session page does."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from ..models import AttendanceStatus, SessionFormat
from ..policies import CASE_WORK
from ..selectors.cases import cases_by_reference_for_user, session_with_attendance
from ..services.records import session_record
from .common import (
    TAGS_CASES,
    CaseApiView,
    EnumField,
    OwnServiceField,
    ServiceRefSerializer,
    errors,
)


class SessionRecordApi(CaseApiView):
    """Record a session the service ran (group or one-to-one) and who attended. Missed
    sessions trigger the service's engagement rules: alerts to the worker, and an engagement
    review with alerts to managers."""

    policy = CASE_WORK

    @extend_schema_serializer(component_name="SessionRecord")
    class InputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="SessionAttendanceRecord")
        class Attendance(serializers.Serializer):
            case_reference = serializers.CharField(max_length=20)
            status = EnumField("AttendanceStatusEnum", choices=AttendanceStatus.choices)

        service = OwnServiceField(side="perpetrator", help_text="The service's id.")
        format = EnumField("SessionFormatEnum", choices=SessionFormat.choices)
        held_on = serializers.DateField()
        title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        attendance = Attendance(many=True)

        def validate_attendance(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            """Each case once, each a case the user works on (others look unknown)."""
            user = self.context["request"].user
            refs = [row["case_reference"].strip().upper() for row in rows]
            found = cases_by_reference_for_user(user=user, references=refs)
            problems: list[dict[str, list[str]]] = []
            seen: set[str] = set()
            for ref in refs:
                if ref not in found:
                    problems.append({"case_reference": ["No case you work on has this reference"]})
                elif ref in seen:
                    problems.append({"case_reference": ["This case is listed twice"]})
                else:
                    problems.append({})
                seen.add(ref)
            if any(problems):
                raise serializers.ValidationError(problems)
            return [
                {"case": found[ref], "status": row["status"]}
                for ref, row in zip(refs, rows, strict=True)
            ]

    @extend_schema_serializer(component_name="Session")
    class OutputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="SessionAttendance")
        class Attendance(serializers.Serializer):
            case_reference = serializers.CharField(source="case.reference")
            status = EnumField("AttendanceStatusEnum", choices=AttendanceStatus.choices)

        id = serializers.IntegerField()
        service = ServiceRefSerializer()
        format = EnumField("SessionFormatEnum", choices=SessionFormat.choices)
        held_on = serializers.DateField()
        title = serializers.CharField()
        attendance = Attendance(many=True)

    @extend_schema(
        operation_id="sessions_record",
        summary="Record a session and attendance",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403)},
        tags=TAGS_CASES,
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        session = session_record(
            actor=request.user,
            service=values["service"],
            format=values["format"],
            held_on=values["held_on"],
            title=values["title"],
            attendance={row["case"]: row["status"] for row in values["attendance"]},
            request=request,
        )
        session = session_with_attendance(session=session)
        return Response(self.OutputSerializer(session).data, status=status.HTTP_201_CREATED)
