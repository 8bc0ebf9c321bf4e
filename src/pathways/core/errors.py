"""Error pages: GOV.UK pages for people, the standard error body for the API."""

from __future__ import annotations

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader


def _api_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"status": status, "code": code, "message": message, "fields": []}}, status=status
    )


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def permission_denied(request, exception=None):
    if _is_api(request):
        return _api_error(403, "permission_denied", "You do not have access to this endpoint.")
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return _api_error(404, "not_found", "Not found.")
    return render(request, "404.html", status=404)


def server_error(request):
    if _is_api(request):
        return _api_error(500, "server_error", "Something went wrong. Try again later.")
    return HttpResponseServerError(loader.get_template("500.html").render({}))
