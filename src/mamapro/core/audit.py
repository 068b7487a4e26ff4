"""The append-only, hash-chained audit log.

Every change and every read of a sensitive field goes through `record` (or `record_reads`).
Appending locks the single chain-head row, so concurrent writers queue and the chain never
forks; the entry is written inside the caller's transaction, so a change and its audit entry
land together or not at all.

Entries name *which* fields were read or changed, never their values: the log must not become
a second copy of the sensitive data it protects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from mamapro.core.models import AuditChainHead, AuditEntry, User

GENESIS = "0" * 64


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
    payload = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
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
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


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
    """Append `events` to the chain in one transaction (the caller's, when there is one)."""
    if not events:
        return []
    ctx = current_context()
    who = actor if actor is not None else ctx.actor
    ip = _normal_ip(ctx.ip)
    now = timezone.now()
    # No savepoint: the entry lives or dies with the caller's change.
    with transaction.atomic(savepoint=False):
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
                ip=ip,
                via=ctx.via,
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
) -> AuditEntry:
    return record_events([event_for(action, obj, fields=fields, details=details)], actor=actor)[0]


def record_reads(objects: Iterable[tuple[models.Model, Iterable[str]]]) -> list[AuditEntry]:
    """One `read_sensitive` entry per object whose sensitive fields a response revealed."""
    events = [
        event_for(AuditEntry.Action.READ_SENSITIVE, obj, fields=fields)
        for obj, fields in objects
        if fields
    ]
    return record_events(events)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify_chain() -> VerifyResult:
    """Walk the chain in order; report the first entry whose link or content does not hold."""
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
        prev = entry.entry_hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.entry_hash != prev):
        return VerifyResult(
            False,
            checked,
            checked + 1,
            f"entries after #{checked} are missing (head is #{head.seq})",
        )
    return VerifyResult(True, checked)


def set_actor(actor: User, *, via: str = "api") -> None:
    """Name the actor for the rest of this request (token-authenticated API calls)."""
    ctx = current_context()
    _context.set(AuditContext(actor=actor, ip=ctx.ip, via=via))
