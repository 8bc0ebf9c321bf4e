"""Error pages: GOV.UK pages for people, the standard error body for the API."""

from __future__ import annotations

import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
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


# How long a client should wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 30
# The one field of the public self-referral form shown back when it could not be saved:
# the person's own words, so they can copy them. Nothing is stored anywhere.
KEEP_TYPED_FIELD = "account"


def _database_unavailable() -> bool:
    """True while handling an error that means the database could not be reached (as
    opposed to a bug that happened to touch the database)."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DatabaseError) and "connection" in str(exc).lower()


def service_unavailable(request) -> HttpResponse:
    """503 while the database is unavailable: nothing was saved (every write is one
    transaction, so nothing half-written remains). On the public self-referral form the
    person's own words are shown back so they can copy them; they are not kept."""
    if _is_api(request):
        response: HttpResponse = _api_error(
            503, "service_unavailable", "The service is unavailable. Nothing was saved; try again."
        )
    else:
        typed = ""
        if request.method == "POST" and request.path.startswith("/self-referral/"):
            typed = str(request.POST.get(KEEP_TYPED_FIELD, ""))[:5000]
        html = loader.get_template("503.html").render({"typed": typed})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    if _database_unavailable():
        return service_unavailable(request)
    if _is_api(request):
        return _api_error(500, "server_error", "Something went wrong. Try again later.")
    return HttpResponseServerError(loader.get_template("500.html").render({}))
