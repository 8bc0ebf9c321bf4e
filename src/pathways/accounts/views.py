"""Sign in and sign out."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .access import policy_required
from .forms import SignInForm
from .policies import PUBLIC


@policy_required(PUBLIC)
@require_http_methods(["GET", "POST"])
def sign_in(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = SignInForm(request.POST if request.method == "POST" else None, request=request)
    if request.method == "POST":
        if form.is_valid():
            services.user_sign_in(request=request, user=form.user)
            return redirect(next_url or "core:dashboard")
        services.user_sign_in_failed(request=request, username=request.POST.get("username", ""))
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": next_url},
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


@policy_required(PUBLIC)
@require_POST
def sign_out(request):
    services.user_sign_out(request=request)
    return redirect("public:home")
