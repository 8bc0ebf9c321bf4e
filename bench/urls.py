"""Benchmark URLs: every Pathways URL, and the framework floor at /bench/floor/."""

from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from pathways.accounts.access import policy_required
from pathways.accounts.policies import PUBLIC


@policy_required(PUBLIC)
@require_GET
def floor(request):
    """The least a Django JSON view can do, through the same middleware and server."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("", include("pathways.urls")),
]

handler403 = "pathways.core.errors.permission_denied"
handler404 = "pathways.core.errors.page_not_found"
handler500 = "pathways.core.errors.server_error"
