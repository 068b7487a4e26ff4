"""Log-in hardening: a throttle per name and address, idle and absolute session limits, and the
headers every response carries (Content-Security-Policy, Permissions-Policy, Cache-Control).

Throttle: after `LOGIN_FAILURE_LIMIT` failed attempts for one username from one address within
`LOGIN_COOL_OFF`, that pair may not try again until the cool-off has passed since the last
failure. Nothing is ever locked for good, and nobody at another address is affected: an abuser
who knows a staff member's username cannot lock her out of her own phone. The second step
(wrong authenticator codes) is counted the same way, per user and address, so its wait is
capped at the cool-off too. The throttle keeps only keyed digests of the names, for a day.
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
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mamapro.core.models import LoginFailure

LOGIN_FAILURE_LIMIT = 5
LOGIN_COOL_OFF = dt.timedelta(minutes=15)
SEEN_KEY = "mamapro_seen"
LOGIN_AT_KEY = "mamapro_login_at"
# The session's "last seen" is rewritten at most this often (not a database write per page).
SEEN_GRANULARITY = dt.timedelta(minutes=2)


def _key(username: str) -> str:
    """A keyed digest of the typed name (normalised): the table never holds what was typed."""
    normalised = " ".join(username.split()).casefold()[:150]
    return salted_hmac("mamapro.login-throttle", normalised).hexdigest()


def _code_key(user_pk: int) -> str:
    # A username cannot contain ":", so this never meets a password failure's key.
    return f"2fa:{user_pk}"


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


def code_wait_left(user_pk: int, ip: str) -> dt.timedelta | None:
    """Wrong second-step codes for this user from this address: how long she must wait."""
    return wait_left(_code_key(user_pk), ip)


def record_code_failure(user_pk: int, ip: str) -> None:
    record_failure(_code_key(user_pk), ip)


def clear_code_failures(user_pk: int, ip: str) -> None:
    clear_failures(_code_key(user_pk), ip)


def wait_message(left: dt.timedelta) -> str:
    minutes = max(1, -(-int(left.total_seconds()) // 60))
    return ngettext(
        "Too many failed attempts. Wait %(n)d minute and try again.",
        "Too many failed attempts. Wait %(n)d minutes and try again.",
        minutes,
    ) % {"n": minutes}


class ThrottledLoginForm(AuthenticationForm):
    """Django's log-in form, refusing to even check the password while a pair cools off."""

    def clean(self) -> dict[str, Any]:
        from mamapro.core.middleware import client_ip

        username = self.cleaned_data.get("username") or ""
        ip = (client_ip(self.request) if self.request else None) or "unknown"
        left = wait_left(username, ip)
        if left is not None:
            raise forms.ValidationError(wait_message(left), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(username, ip)
            raise
        clear_failures(username, ip)
        return cleaned


class IdleSessionMiddleware:
    """A staff session ends SESSION_IDLE_MINUTES after its last page, and SESSION_COOKIE_AGE
    after its log-in however busy it was: the log-in time is written once and never renewed
    (Django's own expiry moves with every save of the session, so it is not the limit)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.idle = dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
        self.absolute = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            now = timezone.now()
            seen = _when(request.session.get(SEEN_KEY))
            since = _when(request.session.get(LOGIN_AT_KEY))
            # A session without its log-in time predates the limit: it ends now, to be safe.
            if since is None or now - since > self.absolute:
                hours = max(1, round(self.absolute.total_seconds() / 3600))
                return _end(
                    request,
                    ngettext(
                        "You were logged out: a session lasts at most %(n)d hour from log-in.",
                        "You were logged out: a session lasts at most %(n)d hours from log-in.",
                        hours,
                    )
                    % {"n": hours},
                )
            if seen is not None and now - seen > self.idle:
                return _end(request, _("You were logged out after a while without activity."))
            if seen is None or now - seen > SEEN_GRANULARITY:
                request.session[SEEN_KEY] = now.isoformat()
        return self.get_response(request)


def _when(raw: object) -> dt.datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        return None


def _end(request: HttpRequest, message: str) -> HttpResponse:
    logout(request)
    messages.info(request, message)
    return redirect_to_login(request.get_full_path())


def mark_seen(request: HttpRequest) -> None:
    """At log-in: the idle clock and the absolute limit start (no extra write on the first page)."""
    now = timezone.now().isoformat()
    request.session[SEEN_KEY] = now
    request.session[LOGIN_AT_KEY] = now


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


# No page needs a camera, a microphone, her location or any other device: a script that got in
# anyway could not ask for them. (Taking a photo with <input type=file> is not affected.)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


def _no_store(request: HttpRequest, response: HttpResponse) -> None:
    """Nothing a signed-in person or the API sees is kept by a browser or a proxy (a shared
    phone's back button, a centre computer's cache); public pages say so themselves or get it.
    Static files keep their own long-lived caching."""
    if request.path.startswith(settings.STATIC_URL):
        return
    user = getattr(request, "user", None)
    personal = request.path.startswith("/api/") or bool(user and user.is_authenticated)
    if personal or "Cache-Control" not in response.headers:
        patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        response.headers.pop("ETag", None)
        response.headers.pop("Last-Modified", None)


class SecurityHeadersMiddleware:
    """On every response: no inline script or style and nothing from elsewhere (CSP), no
    device access (Permissions-Policy), and no caching of anything personal."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        _no_store(request, response)
        return response


ContentSecurityPolicyMiddleware = SecurityHeadersMiddleware
