"""Log-ins, log-outs and failed attempts go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from mamapro.core import audit
from mamapro.core.middleware import client_ip
from mamapro.core.models import AuditEntry, User
from mamapro.core.security import mark_seen
from mamapro.core.two_factor import VERIFIED_KEY


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        mark_seen(request)
        # A password log-in asks for the second factor again.
        request.session.pop(VERIFIED_KEY, None)
    with audit.acting_as(user, ip=client_ip(request), via="web"):
        audit.record(AuditEntry.Action.LOGIN, user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        with audit.acting_as(user, ip=client_ip(request), via="web"):
            audit.record(AuditEntry.Action.LOGOUT, user)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    ip = client_ip(request) if request is not None else None
    # What was typed may be a person's name or phone, not a log-in: only its keyed digest is
    # kept, which still lets the director find the attempts made with a given log-in.
    typed = str(credentials.get("username", ""))[:150]
    with audit.acting_as(None, ip=ip, via="web"):
        audit.record(
            AuditEntry.Action.LOGIN_FAILED, details={"username_digest": audit.digest(typed)}
        )
