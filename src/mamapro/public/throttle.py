"""The rate limit on every public POST: per address and per phone, counted in the database.

Each POST is one `PublicAttempt` row under a keyed digest (core/crypto.blind_index) of the
address it came from, and, once the form has a valid phone, one more under the phone and the
form it was typed in: neither an address nor a number is stored in clear, and every worker
counts the same rows. The row is written (and committed, the request runs in autocommit)
before the count, so two requests arriving together both see each other: the limit never
lets more through than it says; a refused POST counts too, so a flood stays refused.

The limits are a setting, `PUBLIC_RATE_LIMITS`: for the address, every public form together
(mobile networks put many women behind one address, so it is generous); for a phone, each
form on its own (a woman votes for several topics on the same day). The refusal is the
same page whichever limit was hit and whether the phone is known: `429` with `Retry-After`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from mamapro.core.crypto import blind_index
from mamapro.core.middleware import client_ip
from mamapro.public.models import PublicAttempt

APPLICATION = "application"
VOTE = "vote"
PROPOSAL = "proposal"

# (attempts, seconds). An address: 20 POSTs to public forms in 10 minutes. A phone: three
# applications, three proposals, ten votes a day.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "address": (20, 10 * 60),
    APPLICATION: (3, 24 * 3600),
    PROPOSAL: (3, 24 * 3600),
    VOTE: (10, 24 * 3600),
}


def limits() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_LIMITS, **getattr(settings, "PUBLIC_RATE_LIMITS", {})}


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # seconds


def _key(scope: str, value: str) -> str:
    return blind_index(f"{scope}:{value}", "public-throttle")


def _hit(key: str, limit: int, seconds: int, now: dt.datetime) -> Refusal | None:
    PublicAttempt.objects.create(key=key, at=now)
    since = now - dt.timedelta(seconds=seconds)
    window = PublicAttempt.objects.filter(key=key, at__gt=since)
    n = window.count()  # this attempt included
    if n <= limit:
        return None
    # A new attempt passes once the n - limit oldest of these have left the window.
    oldest = window.order_by("at", "id").values_list("at", flat=True)[n - limit - 1]
    wait = (oldest + dt.timedelta(seconds=seconds) - now).total_seconds()
    return Refusal(retry_after=max(1, math.ceil(wait)))


def check_address(request: HttpRequest) -> Refusal | None:
    """Count this POST for its address; a refusal once the address is over its limit."""
    limit, seconds = limits()["address"]
    address = client_ip(request) or "unknown"
    return _hit(_key("address", address), limit, seconds, timezone.now())


def check_phone(action: str, phone: str) -> Refusal | None:
    """Count this POST for the phone typed in this form (normalised); a refusal over the limit."""
    limit, seconds = limits()[action]
    return _hit(_key(f"phone:{action}", phone), limit, seconds, timezone.now())


def prune(now: dt.datetime | None = None) -> int:
    """Forget attempts older than the longest window (the tick runs this)."""
    now = now or timezone.now()
    longest = max(seconds for _limit, seconds in limits().values())
    deleted, _ = PublicAttempt.objects.filter(at__lte=now - dt.timedelta(seconds=longest)).delete()
    return deleted
