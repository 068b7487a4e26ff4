"""Log-in hardening: a throttle per name and address, idle sessions, the Content-Security-Policy.

Throttle: after `LOGIN_FAILURE_LIMIT` failed attempts for one username from one address within
`LOGIN_COOL_OFF`, that pair may not try again until the cool-off has passed since the last
failure. Nothing is ever locked for good, and nobody at another address is affected: an abuser
who knows a staff member's username cannot lock her out of her own phone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mamapro.core.models import LoginFailure

LOGIN_FAILURE_LIMIT = 5
LOGIN_COOL_OFF = dt.timedelta(minutes=15)
SEEN_KEY = "mamapro_seen"
# The session's "last seen" is rewritten at most this often (not a database write per page).
SEEN_GRANULARITY = dt.timedelta(minutes=2)


def _key(username: str) -> str:
    return " ".join(username.split()).casefold()[:150]


def wait_left(username: str, ip: str, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long this name at this address must still wait; None when it may try."""
    now = now or timezone.now()
    recent = list(
        LoginFailure.objects.filter(
            username_key=_key(username), ip=ip, at__gt=now - LOGIN_COOL_OFF
        ).values_list("at", flat=True)
    )
    if len(recent) < LOGIN_FAILURE_LIMIT:
        return None
    return max(recent) + LOGIN_COOL_OFF - now


def record_failure(username: str, ip: str, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    LoginFailure.objects.create(username_key=_key(username), ip=ip, at=now)
    # Old rows are of no use to the throttle: keep the table small.
    LoginFailure.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()


def clear_failures(username: str, ip: str) -> None:
    LoginFailure.objects.filter(username_key=_key(username), ip=ip).delete()


class ThrottledLoginForm(AuthenticationForm):
    """Django's log-in form, refusing to even check the password while a pair cools off."""

    def clean(self) -> dict[str, Any]:
        from mamapro.core.middleware import client_ip

        username = self.cleaned_data.get("username") or ""
        ip = (client_ip(self.request) if self.request else None) or "unknown"
        left = wait_left(username, ip)
        if left is not None:
            minutes = max(1, -(-int(left.total_seconds()) // 60))
            raise forms.ValidationError(
                ngettext(
                    "Too many failed attempts. Wait %(n)d minute and try again.",
                    "Too many failed attempts. Wait %(n)d minutes and try again.",
                    minutes,
                )
                % {"n": minutes},
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(username, ip)
            raise
        clear_failures(username, ip)
        return cleaned


class IdleSessionMiddleware:
    """A staff session left idle for SESSION_IDLE_MINUTES ends: the next page asks to log in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.idle = dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            now = timezone.now()
            raw = request.session.get(SEEN_KEY)
            seen = dt.datetime.fromisoformat(raw) if isinstance(raw, str) else None
            if seen is not None and now - seen > self.idle:
                logout(request)
                messages.info(request, _("You were logged out after a while without activity."))
                return redirect_to_login(request.get_full_path())
            if seen is None or now - seen > SEEN_GRANULARITY:
                request.session[SEEN_KEY] = now.isoformat()
        return self.get_response(request)


def mark_seen(request: HttpRequest) -> None:
    """At log-in: the idle clock starts (no extra write on the first page)."""
    request.session[SEEN_KEY] = timezone.now().isoformat()


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """No inline script or style, nothing from elsewhere, on every page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
