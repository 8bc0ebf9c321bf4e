"""API token endpoint."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .policies import PUBLIC


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token."""

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

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, tags=["auth"])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            services.user_sign_in_failed(request=request, username=data.validated_data["username"])
            raise serializers.ValidationError(
                {"non_field_errors": ["Enter a correct username and password"]}
            )
        token = services.api_token_issue(user=user, request=request)
        return Response(self.OutputSerializer({"token": token.key}).data, status=status.HTTP_200_OK)
