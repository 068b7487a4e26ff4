"""Two-factor authentication (TOTP, an authenticator app on her phone) for every role that can
see sensitive data: the director, coordinators, kids'-room tutors (children's medical details)
and psychologists (counselling).

After the password, such a user either enters the six-digit code of the device she set up, or
sets one up (a QR code and the secret to type in — shown only until the first right code, and
never anywhere else, the admin included). Until then every staff page, the admin too, sends her
to that step. The device (core.models.TOTPDevice, its secret encrypted at rest) allows one use
per code; wrong codes count per user and address with the log-in throttle's capped wait, so
someone with her password elsewhere cannot lock her out. Whether this session passed is one key
in the session, so pages pay no extra query.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamapro.core import audit, security
from mamapro.core import permissions as perms
from mamapro.core.models import AuditEntry, TOTPDevice, User

VERIFIED_KEY = "mamapro_2fa"
# `mamapro demo` gives its logins a device of this name; only for such a device does the page
# show the current code, so that the demo can be tried without a phone.
DEMO_DEVICE = "mamapro-demo"
# Seeing any of these makes the second factor compulsory.
SENSITIVE = frozenset(
    {
        perms.PARTICIPANT_VIEW_SENSITIVE,
        perms.CHILD_VIEW_NEEDS,
        perms.CHILD_ADULTS_VIEW_RESTRICTED,
        perms.COUNSELLING_PRACTISE,
        perms.AUDIT_VIEW,
    }
)
# Reachable before the second factor: logging in and out, the language, the step itself.
OPEN_PREFIXES = ("/login/", "/logout/", "/language/", "/static/", "/healthz", "/api/")


def required(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    me = perms.principal(user)
    return any(me.can(capability) for capability in SENSITIVE)


def is_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(VERIFIED_KEY))


def mark_verified(request: HttpRequest) -> None:
    request.session[VERIFIED_KEY] = timezone.now().isoformat()


class TwoFactorMiddleware:
    """Staff pages wait for the second factor where the role requires it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if (
            request.user.is_authenticated
            and not path.startswith(OPEN_PREFIXES)
            and not is_verified(request)
            and required(request.user)
        ):
            target = reverse("two_factor")
            return HttpResponseRedirect(f"{target}?next={request.get_full_path()}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Six-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Enter the six digits the app shows."))
        return code


def _device(user: User, *, confirmed: bool) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()


def qr_svg(text: str) -> str:
    """A QR code as an SVG data URI (ReportLab draws it; nothing leaves the server)."""
    from reportlab.graphics import renderSVG  # type: ignore[import-untyped]
    from reportlab.graphics.barcode.qr import QrCodeWidget  # type: ignore[import-untyped]
    from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]

    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    size = 220
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    svg = renderSVG.drawToString(drawing)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return reverse("home")
    return target


@perms.rule(perms.AUTHENTICATED)
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enter the code, or set the app up the first time."""
    user = perms.acting_user(request)
    assert isinstance(user, User)
    if is_verified(request) or not required(user):
        return HttpResponseRedirect(_next(request))
    device = _device(user, confirmed=True)
    setting_up = device is None
    if setting_up:
        device = _device(user, confirmed=False) or TOTPDevice.objects.create(
            user=user, name=_("Authenticator app"), confirmed=False
        )
    assert device is not None
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from mamapro.core.middleware import client_ip

        ip = client_ip(request) or "unknown"
        left = security.code_wait_left(user.pk, ip)
        if left is not None:
            # Not even checked while this user at this address cools off; the wait does not
            # grow with further tries, and her own phone at another address is not affected.
            form.add_error("code", security.wait_message(left))
        elif _verify(device, form.cleaned_data["code"]):
            security.clear_code_failures(user.pk, ip)
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            mark_verified(request)
            audit.record(
                AuditEntry.Action.LOGIN,
                user,
                details={"second_factor": "set_up" if setting_up else "verified"},
            )
            return HttpResponseRedirect(_next(request))
        else:
            security.record_code_failure(user.pk, ip)
            audit.record(
                AuditEntry.Action.LOGIN_FAILED, user, details={"second_factor": "wrong_code"}
            )
            form.add_error(
                "code", _("This code is not right. Check the time on your phone and try again.")
            )
    context: dict[str, Any] = {"form": form, "setting_up": setting_up, "next": _next(request)}
    if device.name == DEMO_DEVICE and device.confirmed:
        context["demo_code"] = current_code(device)
    if setting_up:
        context["qr"] = qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "core/two_factor.html", context)


def _verify(device: TOTPDevice, code: str) -> bool:
    """The code, checked on the locked row: two requests with one code cannot both pass."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        ok = locked.verify_token(code)
    device.last_t = locked.last_t
    return ok


def current_code(device: TOTPDevice) -> str:
    return device.current_code()


def demo_device(user: User) -> TOTPDevice:
    """The demo login's device (demo data only: the page shows its code)."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name=DEMO_DEVICE, defaults={"confirmed": True}
    )
    return device
