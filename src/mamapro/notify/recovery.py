"""After a crash, and what webhooks never said.

`recover_in_doubt()` (at a worker's start and on every tick) settles deliveries left
`sending` by a worker that died — the guarantee per provider is in `notify/sender.py`'s
docstring: a row never handed over is queued again; an SMS is looked up in Mobizon's message
list (found → recorded as sent, not found → queued again); a WhatsApp, Telegram or e-mail
message that was in flight is `failed` with the reason `in_doubt`, never resent on its own.

`poll_statuses()` (every tick) asks the providers about messages sent in the last 24 hours
that have no final status yet, the fallback for a webhook that never came.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from mamapro.notify import outbox
from mamapro.notify.addresses import BadAddress, Book
from mamapro.notify.models import Delivery
from mamapro.notify.sender import LEASE, Channels, finish, outgoing, record_sent

logger = logging.getLogger("mamapro.notify")
S = Delivery.Status


@dataclass(frozen=True)
class Recovered:
    sent: int = 0
    requeued: int = 0
    in_doubt: int = 0
    unresolved: int = 0


def recover_in_doubt(
    now: dt.datetime | None = None,
    *,
    lease: dt.timedelta = LEASE,
    channels: Channels | None = None,
) -> Recovered:
    """Settle rows left `sending` longer than `lease` (their worker died): see `notify/sender.py`'s
    docstring for what happens per provider. `lease=0` at the start of the only worker."""
    now = now or timezone.now()
    rows = list(
        Delivery.objects.filter(status=S.SENDING, claimed_at__lte=now - lease).select_related(
            "participant__centre", "user"
        )
    )
    if not rows:
        return Recovered()
    channels = channels or Channels.load()
    book = Book.load(rows)
    counts = {"sent": 0, "requeued": 0, "in_doubt": 0, "unresolved": 0}

    def requeue(row: Delivery) -> None:
        if finish(row, status=S.QUEUED, send_after=now, claim="", text=""):
            counts["requeued"] += 1

    for row in rows:
        if not row.text:
            requeue(row)  # never handed to a provider
            continue
        found_adapter = channels.adapters.get(row.channel)
        if found_adapter is None:
            counts["unresolved"] += 1  # its channel is off now; settled once it is back
            continue
        try:
            to = book.address(row)
        except BadAddress:
            # Its address was refused before any send: nothing went.
            requeue(row)
            continue
        message = outgoing(row, to, row.text, discreet=row.discreet)
        try:
            sent = found_adapter.find_sent(message)
        except NotImplementedError:
            if finish(row, status=S.FAILED, reason=outbox.IN_DOUBT):
                counts["in_doubt"] += 1
            continue
        except Exception:
            logger.warning("delivery %s: could not ask the provider; later", row.pk)
            counts["unresolved"] += 1
            continue
        if sent is None:
            requeue(row)
        elif record_sent(row, sent, row.claimed_at or now):
            counts["sent"] += 1
    return Recovered(**counts)


# --- Statuses we were not told about ---------------------------------------------------------


def poll_statuses(now: dt.datetime | None = None, *, channels: Channels | None = None) -> int:
    """Ask providers about messages sent in the last 24 hours without a final status (the
    fallback for webhooks that never came). Returns how many rows changed."""
    now = now or timezone.now()
    channels = channels or Channels.load()
    pending = Delivery.objects.filter(
        status=S.SENT,
        sent_at__gte=now - dt.timedelta(hours=24),
        channel__in=channels.names,
    ).exclude(provider_message_id="")
    ids: dict[str, list[str]] = defaultdict(list)
    for channel, provider_id in pending.values_list("channel", "provider_message_id")[:5000]:
        ids[channel].append(provider_id)
    changed = 0
    for channel, provider_ids in ids.items():
        found_adapter = channels.adapters[channel]
        for start in range(0, len(provider_ids), 100):
            try:
                updates = found_adapter.poll(provider_ids[start : start + 100])
            except Exception:
                logger.warning("polling %s failed; the webhook or the next tick may tell", channel)
                break
            changed += outbox.apply_updates(channel, updates)
    return changed
