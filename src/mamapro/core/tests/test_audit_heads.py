"""A head published outside the database catches what the key cannot: a rewrite by someone who
holds the database file AND the key (the SQLite demo keeps both under var/), and a tail cut
off with the head rewound."""

from __future__ import annotations

import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from mamapro.core import audit, dbguard
from mamapro.core.audit_key import keyed_hash
from mamapro.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _entries(n: int) -> None:
    for i in range(n):
        audit.record_events([audit.Event(AuditEntry.Action.SYSTEM, details={"n": i})])


@contextmanager
def _triggers_bypassed() -> Iterator[None]:
    """SQLite: any process with the file defines the lock function itself and the triggers
    wave it through. PostgreSQL: a superuser (the test's role) unlocks them."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function("mamapro_audit_locked", 0, lambda: 0)
        try:
            yield
        finally:
            dbguard.register(None, connection)
    else:
        with dbguard.audit_unlocked():
            yield


def _fields(row: Mapping[str, Any], prev: str) -> dict[str, Any]:
    keys = ["seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id"]
    keys += ["centre_id", "fields", "details", "ip", "via"]
    return {**{k: row[k] for k in keys}, "prev": prev}


def _rewrite_with_the_key(*, erase: int | None = None, change: int | None = None) -> None:
    """The tamperer holds the key: she erases or edits an entry and re-keys everything after."""
    rows = list(AuditEntry.objects.order_by("seq").values())
    with _triggers_bypassed(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry")
        prev, seq = audit.GENESIS, 0
        for row in rows:
            if row["seq"] == erase:
                continue
            seq += 1
            new: dict[str, Any] = {**row, "seq": seq}
            if seq == change:
                new["details"] = {"n": "nothing happened"}
            new["prev_hash"] = prev
            new["entry_hash"] = prev = keyed_hash(settings.AUDIT_KEY, _fields(new, prev))
            AuditEntry.objects.bulk_create([AuditEntry(**new)])
        cursor.execute("UPDATE core_auditchainhead SET seq = %s, entry_hash = %s", [seq, prev])


def _publish(path: Path) -> str:
    call_command("audit", "head", "--publish", "--file", str(path))
    return path.read_text()


def test_head_prints_and_publish_appends_owner_only(tmp_path: Path, capsys) -> None:
    _entries(3)
    call_command("audit", "head")
    seq, entry_hash = capsys.readouterr().out.split()
    assert (int(seq), entry_hash) == (3, AuditEntry.objects.get(seq=3).entry_hash)
    heads = tmp_path / "audit-heads.log"
    _publish(heads)
    _entries(2)
    lines = _publish(heads).splitlines()
    assert [line.split()[0] for line in lines] == ["3", "5"]
    assert stat.S_IMODE(heads.stat().st_mode) == 0o600
    call_command("audit", "verify", "--heads-file", str(heads))
    assert "2 published heads matched" in capsys.readouterr().out


@pytest.mark.parametrize("tamper", ["erase", "change"])
def test_a_rewrite_with_the_key_is_caught_by_the_published_head(
    tmp_path: Path, tamper: str
) -> None:
    _entries(5)
    heads = tmp_path / "audit-heads.log"
    _publish(heads)
    published = audit.parse_heads(heads.read_text())
    _rewrite_with_the_key(**{tamper: 2})
    # Honestly: with the key, the chain alone looks intact ...
    assert audit.verify_chain().ok
    # ... the head copied out before says otherwise.
    result = audit.verify_chain(published)
    assert not result.ok
    with pytest.raises(CommandError, match="broken at entry #") as caught:
        call_command("audit", "verify", "--heads-file", str(heads))
    assert "rewritten" in str(caught.value) or "missing" in str(caught.value)
    # A broken chain's head is never published: the file would then vouch for the rewrite.
    with pytest.raises(CommandError, match="Not published"):
        _publish(heads)
    assert len(heads.read_text().splitlines()) == 1


def test_a_tail_cut_off_with_the_head_rewound_is_caught(tmp_path: Path) -> None:
    _entries(5)
    head = audit.current_head()
    with _triggers_bypassed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq > 3")
        cursor.execute(
            "UPDATE core_auditchainhead SET seq = 3, entry_hash = %s",
            [AuditEntry.objects.get(seq=3).entry_hash],
        )
    assert audit.verify_chain().ok  # nothing in the database remembers entries 4 and 5
    with pytest.raises(CommandError, match=r"broken at entry #4: entries after #3 are missing"):
        call_command("audit", "verify", "--head", f"{head.seq}:{head.entry_hash}")


@pytest.mark.parametrize("value", ["5", "x:" + "0" * 64, "5:abc"])
def test_a_malformed_head_is_refused_by_name(value: str) -> None:
    with pytest.raises(CommandError, match="--head line 1: expected 'SEQ HASH'"):
        call_command("audit", "verify", "--head", value)


def test_verify_says_what_the_chain_alone_cannot_catch(capsys) -> None:
    _entries(1)
    call_command("audit", "verify")
    err = capsys.readouterr().err
    if connection.vendor == "sqlite":
        assert "only a head published earlier and kept elsewhere" in err
    else:  # the tests run as a superuser
        assert "mamapro audit harden --app-role NAME" in err
