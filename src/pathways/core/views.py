"""Signed-in home page, language switch and API documentation views."""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET
from django.views.i18n import set_language as django_set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from pathways.accounts.access import policy_required
from pathways.accounts.policies import PUBLIC, SIGNED_IN


@policy_required(SIGNED_IN)
@require_GET
def dashboard(request):
    memberships = request.user.memberships.select_related("organisation").order_by(
        "organisation__name"
    )
    from pathways.cases.selectors.cases import alert_list_for_user

    open_alerts = alert_list_for_user(user=request.user, open_only=True).count()
    return render(
        request, "core/dashboard.html", {"memberships": memberships, "open_alerts": open_alerts}
    )


@policy_required(PUBLIC)
def set_language(request):
    """Switch between English and Welsh (POST; a GET just goes back)."""
    return django_set_language(request)


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema is public so agency systems can build against it."""

    policy = PUBLIC


@method_decorator(csp_update({"style-src": [UNSAFE_INLINE], "img-src": ["data:"]}), name="dispatch")
class SwaggerView(SpectacularSwaggerSplitView):
    """Browsable API documentation. Swagger UI styles itself inline, so only this page allows it."""

    policy = PUBLIC
    url_name = "api-schema"
