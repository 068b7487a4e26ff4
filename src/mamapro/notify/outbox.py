"""The outbox: every message to a woman (or a safety alert to staff) is a `Delivery` row,
queued in the transaction of the event that causes it and sent later by the worker
(`notify/sender.py`), through the safe-contact gate both times.

OWNER: the outbox/worker helper. Signatures are fixed (other areas call them); bodies TBD.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import models

from mamapro.core.models import User
from mamapro.notify.channels.base import StatusUpdate
from mamapro.notify.models import Delivery
from mamapro.people.models import Participant


def queue(
    participant: Participant,
    kind: str,
    *,
    key: str,
    subject: models.Model | None = None,
    context: dict[str, Any] | None = None,
    body: str = "",
    channel: str | None = None,
    send_after: dt.datetime | None = None,
    created_by: User | None = None,
    now: dt.datetime | None = None,
) -> Delivery | None:
    """Queue one message to her (first gate pass). `key` makes it idempotent: the same key
    twice gives the first row. Returns None when she has no channel at all to try."""
    raise NotImplementedError


def queue_many(
    participants: Sequence[Participant],
    kind: str,
    *,
    key: str,
    subject: models.Model | None = None,
    context: dict[str, Any] | None = None,
    body: str = "",
    created_by: User | None = None,
    now: dt.datetime | None = None,
) -> list[Delivery]:
    """`queue` for many women in a constant number of queries (a roster message, reminders);
    `key` is suffixed with each participant's id."""
    raise NotImplementedError


def queue_staff(
    user: User,
    centre_id: int,
    kind: str,
    *,
    key: str,
    subject: models.Model | None = None,
    context: dict[str, Any] | None = None,
) -> Delivery | None:
    """A message to a staff member on her own channel (StaffContact); None without one."""
    raise NotImplementedError


def retry(delivery: Delivery, *, actor: User | None = None) -> Delivery:
    """A failed delivery is queued again (through the gate)."""
    raise NotImplementedError


def apply_updates(channel: str, updates: Sequence[StatusUpdate]) -> int:
    """Status updates from a webhook or a poll; unknown provider ids are ignored; a status
    never goes backwards (the highest rank wins). Returns how many rows changed."""
    raise NotImplementedError


def explain(delivery: Delivery) -> str:
    """Why it was not sent (or is waiting), as a sentence for staff ("" when nothing to say)."""
    raise NotImplementedError
