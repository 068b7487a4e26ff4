"""The outbox: every message to a woman (or a safety alert to staff) is a `Delivery` row,
queued in the transaction of the event that causes it and sent later by the worker
(`notify/sender.py`), through the safe-contact gate both times.

Queuing (the first gate pass, `people.safe_contact.decide`):

- The channel is the one given, else the first of her safe channels, in her order, that is a
  message channel ("call" is not) and passes the gate; Telegram counts only with a confirmed,
  unrevoked chat link.
- Allowed → `queued` (due now, or at the `send_after` given). Only the hour is wrong →
  `waiting` until the start of her next safe window (in her centre's zone). Refused → a
  `cancelled` row with the gate's reason code, and when she has no message channel at all a
  `cancelled` row with `no_channel` — never silently nothing: staff see why she was not
  written to. So `queue` always returns a row.
- A channel whose provider is not configured: the row is queued (or waits) with the reason
  `provider_not_configured`; the coordinator sees exactly what would go out, and the worker
  leaves it alone until the channel is configured, then sends it as any other.
- `key` is the idempotency key: a second call with the same key returns the first row.
- In the same transaction one `send_due_task` is written (`notify/tasks.py`), deferred to
  the row's `send_after` when that is in the future; one per transaction is enough.

Staff alerts (`queue_staff`) go to the staff member's own `StaffContact`; the gate is about
women and does not apply to staff.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamapro.core import audit
from mamapro.core.models import AuditEntry, User
from mamapro.notify import tasks
from mamapro.notify.channels.base import StatusUpdate
from mamapro.notify.models import Channel, Delivery, StaffContact, TelegramLink
from mamapro.people import safe_contact
from mamapro.people.models import Circumstance, Consent, Participant, active_consent

logger = logging.getLogger("mamapro.notify")

# Reason codes of the outbox and the worker (the gate's own are in safe_contact.REASONS).
NO_CHANNEL = "no_channel"
TELEGRAM_NOT_LINKED = "telegram_not_linked"
PROVIDER_NOT_CONFIGURED = "provider_not_configured"
NO_LONGER_NEEDED = "no_longer_needed"
TEMPLATE_ERROR = "template_error"
NOT_DISCREET = "not_discreet"
BAD_ADDRESS = "bad_address"
PERMANENT_ERROR = "permanent_error"
RETRYING = "retrying"
TOO_MANY_ATTEMPTS = "too_many_attempts"
IN_DOUBT = "in_doubt"
UNDELIVERED = "undelivered"

REASONS = {
    NO_CHANNEL: gettext_lazy("She has no channel marked safe for messages."),
    TELEGRAM_NOT_LINKED: gettext_lazy("Her Telegram chat is not linked and confirmed."),
    PROVIDER_NOT_CONFIGURED: gettext_lazy(
        "The channel's provider is not configured; the message will go when it is."
    ),
    NO_LONGER_NEEDED: gettext_lazy("No longer needed: what it was about has passed or changed."),
    TEMPLATE_ERROR: gettext_lazy("The message template could not be filled in."),
    NOT_DISCREET: gettext_lazy(
        "The discreet text named what the centre is for, so it was not sent."
    ),
    BAD_ADDRESS: gettext_lazy(
        "The phone number, e-mail address or chat is missing or malformed; nothing was sent."
    ),
    PERMANENT_ERROR: gettext_lazy("The provider refused this message for good."),
    RETRYING: gettext_lazy("The provider could not take it just now; it will be tried again."),
    TOO_MANY_ATTEMPTS: gettext_lazy("The provider failed six times; the message was given up."),
    IN_DOUBT: gettext_lazy(
        "The worker stopped while sending; it may have gone out — check with her before retrying."
    ),
    UNDELIVERED: gettext_lazy("The provider could not deliver it."),
}

# Statuses from providers arrive out of order: the highest rank wins, never backwards.
# Delivered and failed are both final (a "failed" after "delivered" is ignored).
RANK = {"sent": 1, "delivered": 2, "failed": 2}

MESSAGE_CHANNELS = frozenset(Channel.values)


class NotRetryable(ValueError):
    """Only a failed delivery can be queued again."""


# --- What the gate needs, read in bulk -------------------------------------------------------


@dataclass(frozen=True)
class GateFacts:
    """Consent, survivor status and linked Telegram chats of a set of women, in three
    queries (`decide(..., consent=, survivor=)` then costs none per woman)."""

    consented: frozenset[int]
    survivors: frozenset[int]
    telegram: frozenset[int]

    @classmethod
    def load(cls, participant_ids: Iterable[int], at: dt.datetime) -> GateFacts:
        ids = set(participant_ids)
        if not ids:
            return cls(frozenset(), frozenset(), frozenset())
        consented = Consent.objects.filter(
            active_consent(timezone.localdate(at)),
            participant_id__in=ids,
            kind=Consent.Kind.DATA_PROCESSING,
        ).values_list("participant_id", flat=True)
        survivors = (
            Circumstance.objects.filter(participant_id__in=ids)
            .of_kind(Circumstance.Kind.DOMESTIC_VIOLENCE)
            .values_list("participant_id", flat=True)
        )
        linked = TelegramLink.objects.filter(
            participant_id__in=ids, confirmed_at__isnull=False, revoked_at__isnull=True
        ).values_list("participant_id", flat=True)
        return cls(frozenset(consented), frozenset(survivors), frozenset(linked))

    def decide(self, participant: Participant, channel: str, at: dt.datetime) -> Decision:
        gate = safe_contact.decide(
            participant,
            channel,
            at,
            consent=participant.pk in self.consented,
            survivor=participant.pk in self.survivors,
        )
        decision = Decision(gate.allowed, gate.reason, gate.discreet, gate.next_safe_at)
        # The gate knows only her list of safe channels; a Telegram chat must also be linked.
        linked = channel != Channel.TELEGRAM or participant.pk in self.telegram
        if not linked and (decision.allowed or decision.waits):
            return Decision(False, TELEGRAM_NOT_LINKED, gate.discreet)
        return decision


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    discreet: bool = False
    next_safe_at: dt.datetime | None = None

    @property
    def waits(self) -> bool:
        return self.reason == safe_contact.OUTSIDE_SAFE_HOURS and self.next_safe_at is not None


@dataclass(frozen=True)
class Plan:
    channel: str
    status: str
    reason: str
    send_after: dt.datetime
    discreet: bool


def _candidates(participant: Participant, channel: str | None) -> list[str]:
    if channel is not None:
        return [channel]
    return [c for c in (participant.contact_channels or []) if c in MESSAGE_CHANNELS]


def plan(
    participant: Participant,
    facts: GateFacts,
    *,
    channel: str | None,
    at: dt.datetime,
    configured: dict[str, bool],
) -> Plan:
    """Which channel, and queued, waiting or cancelled (the first gate pass)."""
    options = _candidates(participant, channel)
    first_refusal: Decision | None = None
    for option in options:
        decision = facts.decide(participant, option, at)
        if decision.allowed or decision.waits:
            status = Delivery.Status.QUEUED if decision.allowed else Delivery.Status.WAITING
            when = at if decision.allowed else decision.next_safe_at
            assert when is not None
            reason = "" if decision.allowed else decision.reason
            if not configured.get(option, False):
                reason = PROVIDER_NOT_CONFIGURED
            return Plan(option, status, reason, when, decision.discreet)
        first_refusal = first_refusal or decision
    if first_refusal is None:
        fallback = (participant.contact_channels or [Channel.SMS])[0]
        chosen = fallback if fallback in MESSAGE_CHANNELS else Channel.SMS
        return Plan(chosen, Delivery.Status.CANCELLED, NO_CHANNEL, at, participant.discreet)
    return Plan(
        options[0],
        Delivery.Status.CANCELLED,
        first_refusal.reason,
        at,
        first_refusal.discreet,
    )


def configured_channels() -> dict[str, bool]:
    """Which channels have their provider configured (a missing adapter counts as not)."""
    from mamapro.notify.channels import ADAPTERS, adapter

    found: dict[str, bool] = {}
    for name in ADAPTERS:
        try:
            found[name] = bool(adapter(name).configured())
        except ImportError:
            found[name] = False
    return found


def _plain(context: dict[str, Any] | None) -> dict[str, Any]:
    # Datetimes and decimals become text; anything else JSON cannot hold is refused here,
    # in the caller's transaction, not later in the worker.
    result: dict[str, Any] = json.loads(json.dumps(context or {}, cls=DjangoJSONEncoder))
    return result


def _subject(subject: models.Model | None) -> tuple[str, str]:
    if subject is None:
        return "", ""
    return subject._meta.label_lower, str(subject.pk)


def _row(
    participant: Participant,
    kind: str,
    key: str,
    p: Plan,
    *,
    subject: tuple[str, str],
    context: dict[str, Any],
    body: str,
    created_by: User | None,
    now: dt.datetime,
) -> Delivery:
    return Delivery(
        centre_id=participant.centre_id,
        participant=participant,
        kind=kind,
        channel=p.channel,
        language=participant.language,
        status=p.status,
        reason=p.reason,
        subject_type=subject[0],
        subject_id=subject[1],
        context=context,
        body=body,
        discreet=p.discreet,
        idempotency_key=key,
        send_after=p.send_after,
        created_by=created_by,
        created_at=now,
    )


def _needs_task(row: Delivery) -> bool:
    return (
        row.status in (Delivery.Status.QUEUED, Delivery.Status.WAITING)
        and row.reason != PROVIDER_NOT_CONFIGURED
    )


def _save_once(row: Delivery) -> tuple[Delivery, bool]:
    """Insert (with its wake-up task, in one transaction), or return the row that already
    holds the key (a concurrent caller won)."""
    with transaction.atomic():
        if _needs_task(row):
            row.task_id = tasks.wake_in_transaction(row.send_after)
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            return Delivery.objects.get(idempotency_key=row.idempotency_key), False
    return row, True


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
    twice gives the first row. Always returns a row (a cancelled one says why nothing will
    go); the `None` of the signature is kept for callers written against it."""
    existing = Delivery.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    at = max(send_after or now, now)
    facts = GateFacts.load([participant.pk], at)
    p = plan(participant, facts, channel=channel, at=at, configured=configured_channels())
    row = _row(
        participant,
        kind,
        key,
        p,
        subject=_subject(subject),
        context=_plain(context),
        body=body,
        created_by=created_by,
        now=now,
    )
    row, _created = _save_once(row)
    return row


def _chunks(items: Sequence[Any], size: int = 2000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
    `key` is suffixed with each participant's id. Returns the rows in the participants'
    order (the existing ones for keys already queued)."""
    if not participants:
        return []
    now = now or timezone.now()
    women = {p.pk: p for p in participants}
    _attach_centres(list(women.values()))
    keys = {pk: f"{key}:{pk}" for pk in women}
    facts = GateFacts.load(women, now)
    configured = configured_channels()
    subject_ref = _subject(subject)
    plain = _plain(context)
    existing: set[str] = set()
    for part in _chunks(list(keys.values())):
        existing.update(
            Delivery.objects.filter(idempotency_key__in=part).values_list(
                "idempotency_key", flat=True
            )
        )
    fresh = [
        _row(
            p,
            kind,
            keys[pk],
            plan(p, facts, channel=None, at=now, configured=configured),
            subject=subject_ref,
            context=plain,
            body=body,
            created_by=created_by,
            now=now,
        )
        for pk, p in women.items()
        if keys[pk] not in existing
    ]
    due = [r for r in fresh if _needs_task(r)]
    with transaction.atomic():
        if due:
            task_id = tasks.wake_in_transaction(min(r.send_after for r in due))
            for r in due:
                r.task_id = task_id
        # A concurrent caller may have written some of the keys since: theirs stand.
        Delivery.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
    rows: dict[str, Delivery] = {}
    for part in _chunks(list(keys.values())):
        for row in Delivery.objects.filter(idempotency_key__in=part):
            rows[row.idempotency_key] = row
    return [rows[keys[pk]] for pk in women if keys[pk] in rows]


def _attach_centres(participants: list[Participant]) -> None:
    """The gate reads her centre's time zone: one query for all, not one per woman."""
    from mamapro.centres.models import Centre

    field = Participant._meta.get_field("centre")
    missing = [p for p in participants if not field.is_cached(p)]
    if not missing:
        return
    centres = Centre.objects.in_bulk({p.centre_id for p in missing})
    for p in missing:
        p.centre = centres[p.centre_id]


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
    existing = Delivery.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    contact = StaffContact.objects.filter(user=user).first()
    if contact is None:
        return None
    now = timezone.now()
    configured = configured_channels()
    subject_type, subject_id = _subject(subject)
    row = Delivery(
        centre_id=centre_id,
        user=user,
        kind=kind,
        channel=contact.channel,
        language=(user.language or settings.LANGUAGE_CODE)[:2],
        status=Delivery.Status.QUEUED,
        reason="" if configured.get(contact.channel, False) else PROVIDER_NOT_CONFIGURED,
        subject_type=subject_type,
        subject_id=subject_id,
        context=_plain(context),
        idempotency_key=key,
        send_after=now,
        created_at=now,
    )
    row, _created = _save_once(row)
    return row


def retry(delivery: Delivery, *, actor: User | None = None) -> Delivery:
    """A failed delivery is queued again (through the gate), audited. Anything but a failed
    delivery raises NotRetryable (a cancelled one was refused by the gate or is no longer
    needed; a sent one went)."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            # Only the delivery's row: PostgreSQL refuses FOR UPDATE on the outer join to
            # a nullable participant.
            Delivery.objects.select_for_update(of=("self",))
            .select_related("participant__centre")
            .get(pk=delivery.pk)
        )
        if row.status != Delivery.Status.FAILED:
            raise NotRetryable(_("Only a failed message can be sent again."))
        before = row.reason
        if row.participant is not None:
            facts = GateFacts.load([row.participant.pk], now)
            p = plan(
                row.participant,
                facts,
                channel=row.channel,
                at=now,
                configured=configured_channels(),
            )
            row.status, row.reason, row.send_after = p.status, p.reason, p.send_after
            row.discreet = p.discreet
        else:
            row.status, row.reason, row.send_after = Delivery.Status.QUEUED, "", now
            if not configured_channels().get(row.channel, False):
                row.reason = PROVIDER_NOT_CONFIGURED
        row.attempts = 0
        row.error = ""
        row.text = ""
        if _needs_task(row):
            row.task_id = tasks.wake_in_transaction(row.send_after)
        row.claim = ""
        row.claimed_at = None
        row.save(
            update_fields=[
                "status",
                "reason",
                "send_after",
                "discreet",
                "attempts",
                "error",
                "claim",
                "claimed_at",
                "task_id",
                "text",
            ]
        )
        audit.record(
            AuditEntry.Action.UPDATE,
            row,
            fields=["status"],
            details={"event": "retry", "was": before, "now": row.status, "reason": row.reason},
            actor=actor,
        )
    return row


def apply_updates(channel: str, updates: Sequence[StatusUpdate]) -> int:
    """Status updates from a webhook or a poll; unknown provider ids are ignored; a status
    never goes backwards (the highest rank wins). Returns how many rows changed. Three
    queries per batch, whatever its size (read under lock, one bulk update)."""
    best: dict[str, StatusUpdate] = {}
    for update in updates:
        if update.status not in RANK or not update.provider_message_id:
            continue
        seen = best.get(update.provider_message_id)
        if seen is None or RANK[update.status] > RANK[seen.status]:
            best[update.provider_message_id] = update
    if not best:
        return 0
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update().filter(
                channel=channel, provider_message_id__in=list(best)
            )
        )
        changed = []
        for row in rows:
            update = best[row.provider_message_id]
            rank = RANK[update.status]
            if rank <= row.status_rank or row.status not in (
                Delivery.Status.SENT,
                Delivery.Status.DELIVERED,
            ):
                continue
            row.status_rank = rank
            if update.status == "delivered":
                row.status = Delivery.Status.DELIVERED
                row.delivered_at = update.at or now
            elif update.status == "failed":
                row.status = Delivery.Status.FAILED
                row.reason = UNDELIVERED
                row.error = update.error[:300]
            else:
                row.status = Delivery.Status.SENT
            changed.append(row)
        if changed:
            Delivery.objects.bulk_update(
                changed, ["status", "status_rank", "delivered_at", "reason", "error"]
            )
    return len(changed)


def explain(delivery: Delivery) -> str:
    """Why it was not sent (or is waiting), as a sentence for staff ("" when nothing to say)."""
    code = delivery.reason
    if not code:
        return ""
    if code in safe_contact.REASONS:
        sentence = str(safe_contact.REASONS[code])
    elif code in REASONS:
        sentence = str(REASONS[code])
    else:
        return code
    if code in (PERMANENT_ERROR, RETRYING, UNDELIVERED) and delivery.error:
        # The provider's short text (never her phone or the message).
        return _("%(sentence)s Provider: %(error)s") % {
            "sentence": sentence,
            "error": delivery.error,
        }
    return sentence
