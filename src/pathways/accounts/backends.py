"""Authentication backends."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS.

    It refuses a locked-out username or address before any password is checked. A call to
    `authenticate()` with no request (the shell, a management command, a test) is not a
    sign-in from the web and is not counted; every web sign-in path passes the request,
    and a test reads the source to hold that.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
