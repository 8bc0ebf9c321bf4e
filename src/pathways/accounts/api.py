"""API token endpoint."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .lockout import lockout_message
from .policies import PUBLIC


class SignInLockedOut(APIException):
    """429 with the standard error body and Retry-After: too many failed sign-ins."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, *, detail: str, wait: int) -> None:
        super().__init__(detail)
        self.wait = max(1, wait)  # DRF sends it as Retry-After


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token.

    Failed attempts count towards the same lockout as the sign-in page: once a username or
    an address is locked out the answer is 429 with a Retry-After header, even for the
    right password.
    """

    policy = PUBLIC
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema_serializer(component_name="TokenRequest")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(
            max_length=512, trim_whitespace=False, style={"input_type": "password"}
        )

    @extend_schema_serializer(component_name="TokenResponse")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            429: OpenApiResponse(description="Too many failed sign-ins; see Retry-After."),
        },
        tags=["auth"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.user_authenticate(request=request, **data.validated_data)
        if attempt.lockout is not None:
            raise SignInLockedOut(
                wait=int(attempt.lockout.retry_after.total_seconds()),
                detail=lockout_message(attempt.lockout),
            )
        if attempt.user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Enter a correct username and password"]}
            )
        token = services.api_token_issue(user=attempt.user, request=request)
        return Response(self.OutputSerializer({"token": token.key}).data, status=status.HTTP_200_OK)
