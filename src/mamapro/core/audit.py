"""The append-only, hash-chained audit log.

Every change and every read of a sensitive field goes through `record` (or `record_reads`).
Appending locks the single chain-head row, so concurrent writers queue and the chain never
forks; the entry is written inside the caller's transaction, so a change and its audit entry
land together or not at all.

Entries name *which* fields were read or changed, never their values: the log must not become
a second copy of the sensitive data it protects. Typed text that may be a person (a failed
log-in's username, the director's search terms) is kept only as a keyed digest (`digest`).

Each entry's hash is an HMAC under AUDIT_KEY, a secret kept outside the database
(core/audit_key.py): someone who can only edit the database cannot change or remove an entry
and recompute the chain. What protects the log on each database:

- PostgreSQL: triggers refuse updates, deletes and truncation, and the head only moves
  forward. Run the application under its own role (`mamapro audit harden --app-role NAME`):
  it may only insert entries and move the head, and cannot unlock or drop the triggers.
- SQLite: a process that can write the database file can do anything to it (drop the
  triggers, or define `mamapro_audit_locked()` itself), and in the demo the key sits next to
  it under var/. The chain still catches any change made without the key; to catch a
  rewrite made WITH it (or the tail cut off), publish the head outside the database
  (`mamapro audit head --publish`, copied elsewhere) and verify against it
  (`mamapro audit verify --heads-file ...`).

Anonymous requests (no signed-in actor, a client address) are limited per address and
minute: the first `ANONYMOUS_PER_MINUTE` events are appended; the rest are only counted in
`AnonymousAuditWindow` (no lock on the chain head) and logged later as one summary entry.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from mamapro.core.audit_key import keyed_hash, term_digest
from mamapro.core.models import AnonymousAuditWindow, AuditChainHead, AuditEntry, User

GENESIS = "0" * 64
ANONYMOUS_PER_MINUTE = 20
# How often one process looks for finished minutes whose counted events await their summary.
SUMMARY_SWEEP_SECONDS = 30.0


@dataclass(frozen=True)
class AuditContext:
    """Who is acting and from where; set per request, per API call or per CLI command."""

    actor: User | None
    ip: str | None = None
    via: str = ""


_context: ContextVar[AuditContext | None] = ContextVar("mamapro_audit_context", default=None)


@contextmanager
def acting_as(actor: User | None, *, ip: str | None = None, via: str = "") -> Iterator[None]:
    token = _context.set(AuditContext(actor=actor, ip=ip, via=via))
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> AuditContext:
    return _context.get() or AuditContext(actor=None, via="system")


@dataclass(frozen=True)
class Event:
    action: str
    object_type: str = ""
    object_id: str = ""
    centre_id: int | None = None
    fields: tuple[str, ...] = ()
    details: dict[str, Any] | None = None
    # Set only on the summaries of counted anonymous events: the address and channel counted.
    ip: str | None = None
    via: str | None = None


def event_for(
    action: str,
    obj: models.Model | None = None,
    *,
    fields: Iterable[str] = (),
    details: dict[str, Any] | None = None,
) -> Event:
    if obj is None:
        return Event(action=action, fields=tuple(fields), details=details)
    return Event(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        centre_id=getattr(obj, "centre_id", None),
        fields=tuple(sorted(fields)),
        details=details,
    )


def _normal_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    return clean_ipv6_address(ip) if ":" in ip else ip


def compute_hash(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    centre_id: int | None,
    fields: Sequence[str],
    details: dict[str, Any],
    ip: str | None,
    via: str,
    prev_hash: str,
) -> str:
    return keyed_hash(
        settings.AUDIT_KEY,
        {
            "seq": seq,
            "at": at,
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "centre_id": centre_id,
            "fields": list(fields),
            "details": details,
            "ip": ip,
            "via": via,
            "prev": prev_hash,
        },
    )


def digest(text: str) -> str:
    """What the log keeps of typed text that may name or reach a person: a keyed digest."""
    return term_digest(settings.AUDIT_KEY, text)


def entry_hash(entry: AuditEntry) -> str:
    return compute_hash(
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_name=entry.actor_name,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        centre_id=entry.centre_id,
        fields=entry.fields,
        details=entry.details,
        ip=entry.ip,
        via=entry.via,
        prev_hash=entry.prev_hash,
    )


def record_events(events: Sequence[Event], *, actor: User | None = None) -> list[AuditEntry]:
    """Append `events` to the chain in one transaction (the caller's, when there is one).

    Anonymous events beyond the per-address limit are counted instead (the answer is then
    an empty list).
    """
    if not events:
        return []
    ctx = current_context()
    who = actor if actor is not None else ctx.actor
    ip = _normal_ip(ctx.ip)
    now = timezone.now()
    # No savepoint: the entry lives or dies with the caller's change.
    with transaction.atomic(savepoint=False):
        if who is None and ip is not None and not _admit_anonymous(ip, events, now):
            return []
        due = _due_summaries(now)
        if due:
            # Summaries are nobody's doing: not the actor of the change that happens to sweep.
            _append(due, who=None, ip=None, via="system", now=now)
        return _append(events, who=who, ip=ip, via=ctx.via, now=now)


def _append(
    events: Sequence[Event], *, who: User | None, ip: str | None, via: str, now: datetime
) -> list[AuditEntry]:
    # The migration creates the head row; get_or_create only matters after a test flush.
    head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    entries = []
    prev, seq = head.entry_hash, head.seq
    for event in events:
        seq += 1
        entry = AuditEntry(
            seq=seq,
            at=now,
            actor=who,
            actor_name=who.username if who is not None else "",
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            centre_id=event.centre_id,
            fields=list(event.fields),
            details=event.details or {},
            ip=event.ip if event.ip is not None else ip,
            via=event.via if event.via is not None else via,
            prev_hash=prev,
        )
        entry.entry_hash = entry_hash(entry)
        prev = entry.entry_hash
        entries.append(entry)
    AuditEntry.objects.bulk_create(entries)
    AuditChainHead.objects.filter(pk=1).update(seq=seq, entry_hash=prev)
    return entries


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    fields: Iterable[str] = (),
    details: dict[str, Any] | None = None,
    actor: User | None = None,
) -> AuditEntry | None:
    """Append one entry; None when it was an anonymous event over the limit (only counted)."""
    entries = record_events([event_for(action, obj, fields=fields, details=details)], actor=actor)
    return entries[0] if entries else None


def record_reads(objects: Iterable[tuple[models.Model, Iterable[str]]]) -> list[AuditEntry]:
    """One `read_sensitive` entry per object whose sensitive fields a response revealed."""
    events = [
        event_for(AuditEntry.Action.READ_SENSITIVE, obj, fields=fields)
        for obj, fields in objects
        if fields
    ]
    return record_events(events)


# --- anonymous events: a limit per address and minute ----------------------------------------

_next_sweep = 0.0


def address_bucket(ip: str) -> str:
    """The address an anonymous client is counted under: IPv6 by its /64 (one household's
    network hands out a fresh address per request at will), IPv4 as it is."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "::"  # not an address at all: every such client shares one count
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _admit_anonymous(ip: str, events: Sequence[Event], now: datetime) -> bool:
    """Count these events for their address; True while it is within its limit this minute.

    The lock is on this address's own counter row, never on the chain head, so a flood from
    one address does not queue everyone else's writes behind the head.
    """
    windows = AnonymousAuditWindow.objects.select_for_update()
    row, _created = windows.get_or_create(ip=address_bucket(ip), window=_minute(now))
    if row.logged + len(events) <= ANONYMOUS_PER_MINUTE:
        windows.filter(pk=row.pk).update(logged=F("logged") + len(events))
        return True
    actions = dict(row.actions)
    for event in events:
        actions[event.action] = actions.get(event.action, 0) + 1
    windows.filter(pk=row.pk).update(coalesced=F("coalesced") + len(events), actions=actions)
    return False


def _finished_windows(now: datetime) -> list[Event]:
    # skip_locked: two processes sweeping at once never summarise the same minute twice.
    done = list(
        AnonymousAuditWindow.objects.select_for_update(skip_locked=True).filter(
            window__lt=_minute(now)
        )
    )
    if not done:
        return []
    AnonymousAuditWindow.objects.filter(pk__in=[row.pk for row in done]).delete()
    return [
        Event(
            action=AuditEntry.Action.SYSTEM,
            details={
                "anonymous_events_counted": row.coalesced,
                "minute": row.window.isoformat(timespec="minutes"),
                "actions": row.actions,
            },
            ip=row.ip,
            via="web",
        )
        for row in sorted(done, key=lambda row: (row.window, row.ip))
        if row.coalesced
    ]


def _due_summaries(now: datetime) -> list[Event]:
    """Summaries of finished minutes, looked for at most every SUMMARY_SWEEP_SECONDS."""
    global _next_sweep
    tick = time.monotonic()
    if tick < _next_sweep:
        return []
    _next_sweep = tick + SUMMARY_SWEEP_SECONDS
    return _finished_windows(now)


def summarize_anonymous(now: datetime | None = None) -> list[AuditEntry]:
    """Append one summary per address and finished minute whose events were only counted."""
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        events = _finished_windows(now)
        if not events:
            return []
        return _append(events, who=None, ip=None, via="system", now=timezone.now())


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedHead:
    """A head (sequence number and hash) copied out of the database at some time."""

    seq: int
    entry_hash: str
    label: str = ""


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def current_head() -> PublishedHead:
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return PublishedHead(0, GENESIS)
    return PublishedHead(head.seq, head.entry_hash)


def parse_heads(text: str, *, source: str = "") -> list[PublishedHead]:
    """Heads from `audit head --publish` lines ("SEQ HASH WHEN") or "SEQ:HASH"."""
    heads = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if len(parts) == 1 and ":" in parts[0]:
            parts = parts[0].split(":", 1)
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) < 2 or not parts[0].isdigit() or len(parts[1]) != 64:
            raise ValueError(f"{source or 'head'} line {number}: expected 'SEQ HASH', got {line!r}")
        label = " ".join(parts[2:]) or f"{source} line {number}".strip()
        heads.append(PublishedHead(int(parts[0]), parts[1].lower(), label))
    return heads


def verify_chain(published: Sequence[PublishedHead] = ()) -> VerifyResult:
    """Walk the chain in order; report the first entry whose link or content does not hold.

    `published` heads were copied out of the database earlier: the entry at each one's number
    must still carry that hash, which catches a rewrite even by someone holding the key, and
    a chain cut short before it.
    """
    wanted: dict[int, list[PublishedHead]] = {}
    for head_copy in published:
        wanted.setdefault(head_copy.seq, []).append(head_copy)
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                expected_seq,
                f"entry #{expected_seq} is missing (next is #{entry.seq})",
            )
        if entry.prev_hash != prev:
            return VerifyResult(False, checked, entry.seq, "link to the previous entry is broken")
        if entry_hash(entry) != entry.entry_hash:
            return VerifyResult(False, checked, entry.seq, "content does not match its hash")
        for head_copy in wanted.get(entry.seq, ()):
            if head_copy.entry_hash != entry.entry_hash:
                return VerifyResult(
                    False,
                    checked,
                    entry.seq,
                    "the chain was rewritten at or before this entry: it differs from the "
                    f"head published ({head_copy.label})",
                )
        prev = entry.entry_hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None and checked:
        return VerifyResult(False, checked, checked + 1, "the chain head is missing")
    if head is not None and (head.seq != checked or head.entry_hash != prev):
        return VerifyResult(
            False,
            checked,
            checked + 1,
            f"entries after #{checked} are missing (head is #{head.seq})",
        )
    beyond = [head_copy for head_copy in published if head_copy.seq > checked]
    if beyond:
        latest = max(beyond, key=lambda head_copy: head_copy.seq)
        return VerifyResult(
            False,
            checked,
            checked + 1,
            f"entries after #{checked} are missing (a head #{latest.seq} was published "
            f"({latest.label}))",
        )
    return VerifyResult(True, checked)


def set_actor(actor: User, *, via: str = "api") -> None:
    """Name the actor for the rest of this request (token-authenticated API calls)."""
    ctx = current_context()
    _context.set(AuditContext(actor=actor, ip=ctx.ip, via=via))
