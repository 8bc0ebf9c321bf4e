"""Pieces every case work endpoint shares: the error body in the schema, named enums, refs to
users and organisations, paging, and the audit of API reads.

Two rules shape everything here:

- perpetrator-side output never carries a field of the victim-survivor's support record: a
  linked support case appears as its reference and status (`SupportCaseRefSerializer`), no
  more;
- an object a signed-in user may not see is a 404 whichever way they ask, so the views for
  a named case or support case (`RecordApiView`) answer 404, not 403, to a signed-in user
  the endpoint's policy refuses: a perpetrator-side manager asking for a support case by
  reference learns nothing, not even that the endpoint is closed to them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record
from pathways.core.api import StandardPagination

from ..models import EQUALITY_LABELS, EQUALITY_QUESTIONS, equality_choices
from ..selectors.cases import active_users
from ..selectors.directory import (
    case_services_for_user,
    organisations_any,
    support_services_for_user,
)

TAGS_CASES = ["cases"]
TAGS_SUPPORT = ["support cases"]
TAGS_RISK = ["risk events and alerts"]


# --- The error body ------------------------------------------------------------------------


@extend_schema_serializer(component_name="CaseApiError")
class ErrorSerializer(serializers.Serializer):
    """The one error body every Pathways API answers with (see core/api.py)."""

    @extend_schema_serializer(component_name="CaseApiErrorBody")
    class Body(serializers.Serializer):
        @extend_schema_serializer(component_name="CaseApiFieldError")
        class FieldError(serializers.Serializer):
            field = serializers.CharField(help_text="Empty when the error is about the request.")
            message = serializers.CharField()

        status = serializers.IntegerField()
        code = serializers.CharField()
        message = serializers.CharField()
        # DRF takes declared fields off the class, so this does not shadow Serializer.fields.
        fields = FieldError(many=True)  # type: ignore[assignment]

    error = Body()


def errors(*codes: int, not_found: str = "No such record, or not one you may see.") -> dict:
    """Documented error answers for an operation, all in the one error body."""
    described = {
        400: "Refused: the rule or field that stopped it, by field.",
        401: "Not signed in.",
        403: "Not allowed to do this.",
        404: not_found,
    }
    return {code: OpenApiResponse(ErrorSerializer, description=described[code]) for code in codes}


# --- Named enums ---------------------------------------------------------------------------


class EnumField(serializers.ChoiceField):
    """A choice field documented as one named enum component, so two fields called `status`
    with different choices (a perpetrator case's and a support case's) never collide in the
    schema."""

    def __init__(self, enum_name: str, choices: Any, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(choices=choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field: EnumField = self.target
        values = [value for value in field.choices if value != ""]
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={
                "type": "string",
                "enum": values,
                "description": "\n".join(f"* `{v}` - {field.choices[v]}" for v in values),
            },
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref


# --- References to other objects -----------------------------------------------------------


def user_label(user: Any) -> str:
    return user.get_full_name() or user.get_username()


@extend_schema_serializer(component_name="CaseUserRef")
class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return user_label(user)


@extend_schema_serializer(component_name="CaseOrganisationRef")
class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="CaseServiceRef")
class ServiceRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="LinkedSupportCaseRef")
class SupportCaseRefSerializer(serializers.Serializer):
    """All a perpetrator-side user ever learns of a linked support case."""

    reference = serializers.CharField()
    status = serializers.CharField()


@extend_schema_serializer(component_name="CaseStatusChange")
class HistorySerializer(serializers.Serializer):
    from_status = serializers.CharField(help_text="Empty for the first status.")
    to_status = serializers.CharField()
    reason = serializers.CharField()
    at = serializers.DateTimeField()
    by = UserRefSerializer(allow_null=True)


@extend_schema_serializer(component_name="CaseConsent")
class ConsentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    safeguarding_reason = serializers.CharField()
    scope = serializers.CharField()
    recorded_by = UserRefSerializer(allow_null=True)
    recorded_at = serializers.DateTimeField(source="created_at")


@extend_schema_serializer(component_name="CaseNote")
class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    author = UserRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()


@extend_schema_field(OpenApiTypes.INT)
class ActiveUserField(serializers.PrimaryKeyRelatedField):
    """A signed-in user, by id. Whether they may hold the role is the service's rule."""

    default_error_messages = {
        "required": "Choose a person",
        "does_not_exist": "Choose a person who uses Pathways",
        "incorrect_type": "Give the person's user id, a number",
        "null": "Choose a person",
    }

    def get_queryset(self) -> QuerySet[Any]:
        return active_users()


@extend_schema_field(OpenApiTypes.UUID)
class OrganisationField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "required": "Choose an organisation",
        "does_not_exist": "Choose an organisation in the directory",
        "incorrect_type": "Give the organisation's id",
        "null": "Choose an organisation",
    }

    def get_queryset(self) -> QuerySet[Any]:
        return organisations_any()


@extend_schema_field(OpenApiTypes.UUID)
class OwnServiceField(serializers.PrimaryKeyRelatedField):
    """One of the signed-in user's organisation's services (which side is set per field).
    Another organisation's service and an unknown id get the same answer."""

    default_error_messages = {
        "required": "Choose one of your organisation's services",
        "does_not_exist": "Choose one of your organisation's services",
        "incorrect_type": "Choose one of your organisation's services",
        "null": "Choose one of your organisation's services",
    }

    def __init__(self, *, side: str, **kwargs: Any) -> None:
        self.side = side
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        # Without a signed-in user the selectors find no organisations, so no services.
        user = getattr(self.context.get("request"), "user", None)
        if self.side == "support":
            return support_services_for_user(user=user)
        return case_services_for_user(user=user)


# --- Equality monitoring -------------------------------------------------------------------


def _enum_name(question: str) -> str:
    return "Equality" + "".join(part.title() for part in question.split("_")) + "Enum"


def _equality_fields() -> dict[str, serializers.Field]:
    return {
        question: EnumField(
            _enum_name(question),
            choices=equality_choices(question),
            required=False,
            allow_blank=True,
            help_text=f"{EQUALITY_LABELS[question]}. Blank: not asked.",
        )
        for question in EQUALITY_QUESTIONS
    }


EqualityAnswersSerializer = extend_schema_serializer(component_name="EqualityAnswers")(
    type(
        "EqualityAnswersSerializer",
        (serializers.Serializer,),
        {
            "__doc__": "Equality monitoring answers: each optional, each accepts "
            "prefer_not_to_say. A question left out keeps its answer; blank clears it.",
            **_equality_fields(),
        },
    )
)


# --- Base views, paging and audit ----------------------------------------------------------


class CaseApiView(APIView):
    """Case work endpoints take JSON bodies."""

    parser_classes = [JSONParser]


class RecordApiView(CaseApiView):
    """An endpoint about one named record: a signed-in user its policy refuses gets a 404,
    as for a record of another organisation (see the module docstring)."""

    def permission_denied(self, request, message=None, code=None):
        if getattr(request.user, "is_authenticated", False):
            raise exceptions.NotFound()
        super().permission_denied(request, message=message, code=code)


class PageInput(serializers.Serializer):
    """`page` and `per_page` are read by the paginator; checked here so bad values are a 400."""

    page = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    per_page = serializers.IntegerField(
        min_value=1,
        max_value=StandardPagination.max_page_size,
        required=False,
        help_text=f"Results per page, {StandardPagination.page_size} unless given; "
        f"at most {StandardPagination.max_page_size}.",
    )


def paginate(*, request, view: APIView, queryset: QuerySet[Any]) -> tuple[Any, list[Any]]:
    """The paginator and the rows of the requested page."""
    paginator = StandardPagination()
    rows = paginator.paginate_queryset(queryset, request, view=view) or []
    return paginator, list(rows)


def audit_api_read(
    *,
    request,
    object_type: str,
    object_id: str = "",
    detail: dict[str, Any] | None = None,
    action: str = AuditAction.READ,
) -> None:
    """Audit an API read the case services have no recorder for (a list page, a risk
    event). Free text never goes in: references and ids only."""
    audit_record(
        actor=request.user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail={"via": "api", **(detail or {})},
        request=request,
    )


def list_response(paginator: Any, data: Any) -> Response:
    return paginator.get_paginated_response(data)
