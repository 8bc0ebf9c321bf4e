"""Every URL, every role: nobody gets in where no policy lets them.

The walk enumerates the URL configuration itself, so a new URL is covered the day it is
added, and one without a policy fails `test_every_url_names_a_policy`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, SlugConverter, StringConverter, UUIDConverter

from pathways.accounts.access import is_api_view, policy_for_match, policy_for_view
from pathways.accounts.models import Role
from pathways.accounts.policies import ADMIN_SITE

ROLES = [None, *Role.values]  # None is an anonymous visitor


def _walk(
    patterns, prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[tuple[str, URLPattern, tuple[str, ...]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespaces


def _all_patterns():
    return [
        (route, p, ns) for route, p, ns in _walk(get_resolver().url_patterns) if "admin" not in ns
    ]


def _concrete(route: str, pattern: URLPattern, samples: dict) -> str | None:
    """Turn a route such as services/<uuid:service_id>/ into a URL with sample values."""
    if route.startswith("^") or "(?P" in route:
        return None
    converters = getattr(pattern.pattern, "converters", {})
    url = "/" + route
    for name, converter in converters.items():
        if isinstance(converter, UUIDConverter):
            value = str(samples.get(name, uuid.uuid4()))
        elif isinstance(converter, IntConverter):
            value = str(samples.get(name, 1))
        elif isinstance(converter, SlugConverter | StringConverter):
            value = str(samples.get(name, "leeds"))
        else:
            value = str(samples.get(name, "x"))
        url = __import__("re").sub(r"<(?:\w+:)?" + name + ">", value, url)
    return url


def test_every_url_names_a_policy():
    missing = [
        route for route, pattern, _ in _all_patterns() if policy_for_view(pattern.callback) is None
    ]
    assert missing == [], f"URLs with no access policy: {missing}"


@pytest.fixture
def samples(make_service, role_users, provider_org):
    service = make_service("Walked service", organisation=provider_org)
    return {"service_id": service.id, "pk": service.id, "id": service.id}


@pytest.mark.django_db
def test_every_url_with_every_role_obeys_its_policy(client, role_users, samples):
    failures = []
    for route, pattern, _ in _all_patterns():
        url = _concrete(route, pattern, samples)
        if url is None:
            continue
        match = resolve(url.split("?")[0])
        policy = policy_for_match(match)
        for role in ROLES:
            user = role_users[role] if role else None
            client.logout()
            if user is not None:
                client.force_login(user)
            response = client.get(url)
            allowed = policy.allows(user) if user is not None else policy.allows(_anonymous())
            status = response.status_code
            if status >= 500:
                failures.append(f"{url} as {role}: server error {status}")
            elif not allowed and status not in (302, 401, 403, 404):
                failures.append(f"{url} as {role}: policy {policy.name} denies but got {status}")
            elif not allowed and status == 302 and user is not None:
                failures.append(f"{url} as {role}: denied user redirected instead of 403")
            elif allowed and status in (401, 403):
                failures.append(f"{url} as {role}: policy {policy.name} allows but got {status}")
            if not allowed and status == 302:
                assert "/accounts/sign-in/" in response["Location"], url
            if is_api_view(match.func) and status >= 400:
                assert response["Content-Type"].startswith("application/json"), url
                assert "error" in response.json(), url
    assert failures == []


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


@pytest.mark.django_db
def test_admin_site_is_only_for_administrators(client, role_users):
    for role in ROLES:
        client.logout()
        user = role_users[role] if role else None
        if user is not None:
            client.force_login(user)
        response = client.get("/admin/")
        if role == Role.ADMIN:
            assert response.status_code == 200
        else:
            assert response.status_code == 302
            assert "/admin/login/" in response["Location"]
    assert ADMIN_SITE.allows(role_users[Role.ADMIN])
    assert not ADMIN_SITE.allows(role_users[Role.COMMISSIONER])


@pytest.mark.django_db
def test_view_without_policy_is_refused(client, role_users, settings):
    """Deny by default: a view that forgets its policy is closed to everyone, even admins."""
    settings.ROOT_URLCONF = "tests.accounts.urls_without_policy"
    client.force_login(role_users[Role.ADMIN])
    assert client.get("/open/").status_code == 403
    client.logout()
    assert client.get("/open/").status_code == 403
