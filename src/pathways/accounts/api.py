"""API token endpoint."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import mfa, services
from .lockout import lockout_message
from .policies import PUBLIC


class SignInLockedOut(APIException):
    """429 with the standard error body and Retry-After: too many failed sign-ins."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, *, detail: str, wait: int) -> None:
        super().__init__(detail)
        self.wait = max(1, wait)  # DRF sends it as Retry-After


class SecondFactorCodeError(ValidationError):
    """401 with the standard error body, naming the `otp` field: the code is missing or wrong."""

    status_code = status.HTTP_401_UNAUTHORIZED

    def __init__(self, *, code: str, message: str) -> None:
        super().__init__({"otp": [message]})
        self.default_code = code


class SecondFactorThrottled(APIException):
    """429 with Retry-After: a wrong code a moment ago; wait before the next."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "otp_throttled"

    def __init__(self, *, wait: int) -> None:
        super().__init__(
            f"A wrong security code was given a moment ago. Wait {wait} seconds, then try again."
        )
        self.wait = max(1, wait)


class MfaNotSetUp(APIException):
    """403: the account must use MFA and has no authenticator yet."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "mfa_not_set_up"
    default_detail = (
        "This account must use two-factor authentication. Sign in to Pathways in a browser "
        "to set up an authenticator app, then ask for a token with its code in `otp`."
    )


class TokenObtainApi(APIView):
    """Exchange a username and password (and, for two-factor accounts, a code) for an API token.

    Accounts that use two-factor authentication (every role that can read identifiable
    data, and anyone who has set it up) send the 6-digit code from their authenticator app,
    or one of their recovery codes, in `otp`. Without it the answer is 401 `otp_required`;
    with a wrong one 401 `otp_invalid`. An account that must use it but has not set it up
    gets 403 `mfa_not_set_up`.

    Failed attempts, wrong codes included, count towards the same lockout as the sign-in
    page: once a username or an address is locked out the answer is 429 with a Retry-After
    header, even for the right password.
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
        otp = serializers.CharField(
            max_length=40,
            required=False,
            allow_blank=True,
            help_text=(
                "For two-factor accounts: the 6-digit code from the authenticator app, or a "
                "recovery code (used up)."
            ),
        )

    @extend_schema_serializer(component_name="TokenResponse")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            401: OpenApiResponse(
                description="Two-factor code missing (`otp_required`) or wrong (`otp_invalid`)."
            ),
            403: OpenApiResponse(
                description="The account must use two-factor authentication and has not set "
                "it up (`mfa_not_set_up`)."
            ),
            429: OpenApiResponse(description="Too many failed sign-ins; see Retry-After."),
        },
        tags=["auth"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        otp = data.validated_data.pop("otp", "").strip()
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
        step = mfa.step_for(attempt.user)
        if step == mfa.STEP_ENROL:
            raise MfaNotSetUp()
        if step == mfa.STEP_VERIFY:
            self._check_second_factor(request, attempt.user, otp)
        token = services.api_token_issue(user=attempt.user, request=request)
        return Response(self.OutputSerializer({"token": token.key}).data, status=status.HTTP_200_OK)

    @staticmethod
    def _check_second_factor(request, user, otp: str) -> None:
        if not otp:
            raise SecondFactorCodeError(
                code="otp_required",
                message="Enter the 6-digit code from your authenticator app (or a recovery code)",
            )
        method = (
            services.MFA_TOTP
            if re.fullmatch(r"\d{6}", "".join(otp.split()))
            else services.MFA_RECOVERY_CODE
        )
        check = services.mfa_verify(
            request=request, user=user, code=otp, method=method, session=False
        )
        if check.ok:
            return
        if check.lockout is not None:
            raise SignInLockedOut(
                wait=int(check.lockout.retry_after.total_seconds()),
                detail=lockout_message(check.lockout),
            )
        if check.reason == "throttled":
            raise SecondFactorThrottled(wait=check.retry_after)
        raise SecondFactorCodeError(
            code="otp_invalid",
            message="The code is not right or has expired (recovery codes work once)",
        )
