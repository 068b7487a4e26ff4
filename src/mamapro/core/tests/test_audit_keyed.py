"""The chain is keyed (HMAC under AUDIT_KEY, outside the database), its head only moves forward,
and migration 0004 re-keys an existing chain only if the old one still holds."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from mamapro.core import audit
from mamapro.core.audit_key import keyed_hash, plain_hash
from mamapro.core.dbguard import audit_unlocked
from mamapro.core.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db

rekeying = importlib.import_module("mamapro.core.migrations.0004_audit_keyed")


def _entries(n: int) -> list[AuditEntry]:
    return [
        audit.record_events([audit.Event(AuditEntry.Action.SYSTEM, details={"n": i})])[0]
        for i in range(n)
    ]


def _fields(row: Mapping[str, Any], prev: str) -> dict[str, Any]:
    return {
        "seq": row["seq"],
        "at": row["at"],
        "actor_id": row["actor_id"],
        "actor_name": row["actor_name"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "centre_id": row["centre_id"],
        "fields": list(row["fields"]),
        "details": row["details"],
        "ip": row["ip"],
        "via": row["via"],
        "prev": prev,
    }


def _rewrite(
    hash_of: Any, *, changes: dict[int, dict[str, Any]], drop: frozenset[int] = frozenset()
) -> None:
    """What a tamperer with the database does: change or erase entries, then recompute every
    link after them with `hash_of` and move the head to match (the triggers bypassed)."""
    rows = list(AuditEntry.objects.order_by("seq").values())
    with audit_unlocked(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry")
        prev, seq = audit.GENESIS, 0
        for row in rows:
            if row["seq"] in drop:
                continue
            seq += 1
            new: dict[str, Any] = {**row, **changes.get(row["seq"], {}), "seq": seq}
            new["prev_hash"], new["entry_hash"] = prev, hash_of(_fields(new, prev))
            prev = new["entry_hash"]
            AuditEntry.objects.bulk_create([AuditEntry(**new)])
        cursor.execute(
            "UPDATE core_auditchainhead SET seq = %s, entry_hash = %s WHERE id = 1", [seq, prev]
        )


def test_entries_are_keyed_with_the_audit_key() -> None:
    (entry,) = _entries(1)
    row = AuditEntry.objects.filter(pk=entry.pk).values().get()
    assert entry.entry_hash == keyed_hash(settings.AUDIT_KEY, _fields(row, audit.GENESIS))
    assert entry.entry_hash != plain_hash(_fields(row, audit.GENESIS))


@pytest.mark.parametrize(
    "hash_of",
    [plain_hash, lambda fields: keyed_hash("a guessed key that is not ours at all", fields)],
    ids=["sha256", "other-key"],
)
def test_a_rewrite_with_the_hashes_recomputed_is_caught(hash_of: Any) -> None:
    _entries(5)
    _rewrite(hash_of, changes={3: {"details": {"n": 99}}})
    assert AuditEntry.objects.get(seq=3).details == {"n": 99}
    result = audit.verify_chain()
    assert not result.ok
    assert result.broken_seq == 1  # every link was recomputed without the key
    with pytest.raises(CommandError, match="broken at entry #1"):
        call_command("audit", "verify")


def test_erasing_an_entry_and_renumbering_without_the_key_is_caught() -> None:
    _entries(5)
    kept = [e.entry_hash for e in AuditEntry.objects.order_by("seq")]
    # The erased entry's successors keep their keyed hashes where the tamperer cannot redo them.
    rows = list(AuditEntry.objects.order_by("seq").values())
    with audit_unlocked(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq >= 2")
        for row in rows[2:]:
            new: dict[str, Any] = {**row, "seq": row["seq"] - 1}
            if new["seq"] == 2:
                new["prev_hash"] = kept[0]
            AuditEntry.objects.bulk_create([AuditEntry(**new)])
        cursor.execute("UPDATE core_auditchainhead SET seq = 4, entry_hash = %s", [kept[4]])
    result = audit.verify_chain()
    assert (result.ok, result.broken_seq) == (False, 2)


def test_the_head_cannot_be_rewound_or_sent_past_the_chain() -> None:
    entries = _entries(4)
    for sql, params in [
        ("UPDATE core_auditchainhead SET seq = 2, entry_hash = %s", [entries[1].entry_hash]),
        ("UPDATE core_auditchainhead SET seq = 9, entry_hash = %s", ["f" * 64]),
        ("UPDATE core_auditchainhead SET entry_hash = %s", [entries[2].entry_hash]),
        ("DELETE FROM core_auditchainhead", []),
    ]:
        with (
            pytest.raises(DatabaseError, match="only moves forward"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    head = AuditChainHead.objects.get()
    assert (head.seq, head.entry_hash) == (4, entries[3].entry_hash)
    with (
        pytest.raises(DatabaseError, match="only moves forward"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO core_auditchainhead (id, seq, entry_hash) VALUES (2, 0, %s)",
            [audit.GENESIS],
        )
    assert AuditChainHead.objects.count() == 1
    assert audit.verify_chain().ok


def test_a_missing_head_is_reported() -> None:
    _entries(2)
    with audit_unlocked(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditchainhead")
    result = audit.verify_chain()
    assert (result.ok, result.broken_seq, result.reason) == (
        False,
        3,
        "the chain head is missing",
    )


# --- migration 0004 -------------------------------------------------------------------------


@contextmanager
def _editor() -> Iterator[Any]:
    # The re-keying step uses only the schema editor's connection (SQLite's real editor cannot
    # open inside the test's transaction).
    yield SimpleNamespace(connection=connection)


def _historical_apps() -> Any:
    return MigrationExecutor(connection).loader.project_state(("core", "0004_audit_keyed")).apps


def _plain_chain(n: int) -> None:
    """A chain as 0002/0003 wrote it: unkeyed SHA-256."""
    _entries(n)
    _rewrite(plain_hash, changes={})


def test_migration_rekeys_an_intact_plain_chain() -> None:
    _plain_chain(4)
    assert not audit.verify_chain().ok  # the old hashes do not verify under the key
    before = list(AuditEntry.objects.order_by("seq").values_list("seq", "details"))
    with audit_unlocked(), _editor() as editor:
        rekeying.rechain(plain_hash, rekeying._keyed, "keying the chain")(
            _historical_apps(), editor
        )
    assert audit.verify_chain() == audit.VerifyResult(True, 4)
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", "details")) == before
    call_command("audit", "verify")


def test_migration_refuses_to_launder_a_broken_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    _plain_chain(4)
    with audit_unlocked(), connection.cursor() as cursor:
        cursor.execute("""UPDATE core_auditentry SET details = '{"n": 77}' WHERE seq = 2""")
    run = rekeying.rechain(plain_hash, rekeying._keyed, "keying the chain")
    with (
        pytest.raises(RuntimeError, match=r"already broken \(entry #2 does not match"),
        audit_unlocked(),
        _editor() as editor,
    ):
        run(_historical_apps(), editor)
    assert not audit.verify_chain().ok
    # Re-keyed anyway on request, the chain then says so itself, in a keyed entry.
    monkeypatch.setenv("MAMAPRO_AUDIT_REKEY_BROKEN", "1")
    with audit_unlocked(), _editor() as editor:
        run(_historical_apps(), editor)
    assert audit.verify_chain().ok
    note = AuditEntry.objects.order_by("seq").last()
    assert note is not None
    assert note.seq == 5
    assert "entry #2 does not match its hash" in note.details["audit_chain"]
