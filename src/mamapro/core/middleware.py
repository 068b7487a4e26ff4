"""Request-wide plumbing: the user's language, the audit context and login redirects."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from mamapro.core.audit import acting_as
from mamapro.core.permissions import NotAuthenticated

_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def client_ip(request: HttpRequest) -> str | None:
    # Behind the production proxy, X-Forwarded-For is set by our own nginx only when HTTPS is
    # configured; otherwise the socket address is the truth.
    if settings.HTTPS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's, on every device."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        language = getattr(user, "language", "") if user.is_authenticated else ""
        if language in _LANGUAGES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class RequestContextMiddleware:
    """Sets who is acting and from where for the audit log; sends anonymous staff to login."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        via = "api" if request.path.startswith("/api/") else "web"
        with acting_as(user, ip=client_ip(request), via=via):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotAuthenticated):
            return redirect_to_login(request.get_full_path())
        return None
