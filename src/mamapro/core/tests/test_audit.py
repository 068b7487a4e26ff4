from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from mamapro.core import audit
from mamapro.core.dbguard import audit_unlocked
from mamapro.core.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db


def _entries(n: int) -> list[AuditEntry]:
    return [
        entry
        for i in range(n)
        for entry in audit.record_events([audit.Event(AuditEntry.Action.SYSTEM, details={"n": i})])
    ]


def test_chain_links_each_entry_to_the_one_before() -> None:
    first, second, third = _entries(3)
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.entry_hash
    assert third.prev_hash == second.entry_hash
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    head = AuditChainHead.objects.get()
    assert (head.seq, head.entry_hash) == (3, third.entry_hash)
    assert audit.verify_chain().ok


def test_entries_record_who_and_from_where(personas) -> None:
    with audit.acting_as(personas["coordinator"], ip="10.1.2.3", via="web"):
        entry = audit.record(
            AuditEntry.Action.READ_SENSITIVE, personas["coordinator"], fields=["iin"]
        )
    assert entry is not None
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor == personas["coordinator"]
    assert entry.ip == "10.1.2.3"
    assert entry.via == "web"
    assert entry.fields == ["iin"]


def test_model_refuses_update_and_delete() -> None:
    (entry,) = _entries(1)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="login")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


@pytest.mark.parametrize(
    "sql", ["UPDATE core_auditentry SET action = 'x'", "DELETE FROM core_auditentry"]
)
def test_database_trigger_refuses_raw_update_and_delete(sql: str) -> None:
    _entries(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("tamper", "broken"),
    [
        ("UPDATE core_auditentry SET details = '{\"n\": 99}' WHERE seq = 3", 3),
        ("UPDATE core_auditentry SET actor_name = 'someone' WHERE seq = 2", 2),
        ("UPDATE core_auditentry SET at = at + INTERVAL '1 second' WHERE seq = 4", 4),
        ("DELETE FROM core_auditentry WHERE seq = 2", 2),
        ("DELETE FROM core_auditentry WHERE seq = 5", 5),
    ],
)
def test_verify_names_the_first_tampered_entry(tamper: str, broken: int) -> None:
    _entries(5)
    if connection.vendor == "sqlite":
        tamper = tamper.replace("at + INTERVAL '1 second'", "datetime(at, '+1 second')")
    # The tamperer gets past the triggers; the hash chain still gives her away.
    with audit_unlocked(), connection.cursor() as cursor:
        cursor.execute(tamper)
    result = audit.verify_chain()
    assert not result.ok
    assert result.broken_seq == broken
    with pytest.raises(CommandError, match=f"broken at entry #{broken}"):
        call_command("audit", "verify")


def test_verify_command_reports_an_intact_chain(capsys: pytest.CaptureFixture[str]) -> None:
    _entries(4)
    call_command("audit", "verify")
    assert "intact: 4 entries" in capsys.readouterr().out


def test_record_reads_writes_one_entry_per_object_with_fields(personas) -> None:
    users = [personas["trainer"], personas["tutor"]]
    entries = audit.record_reads([(users[0], ["iin"]), (users[1], [])])
    assert len(entries) == 1
    assert entries[0].object_id == str(users[0].pk)


# Every stored column of an entry, and a changed value for it: whichever a tamperer edits,
# the chain gives her away at that entry.
TAMPERED_COLUMNS = [
    ("seq", "seq + 1000"),
    ("at", None),
    ("actor_id", None),
    ("actor_name", "'someone else'"),
    ("action", "'delete'"),
    ("object_type", "'people.child'"),
    ("object_id", "'999'"),
    ("centre_id", "777"),
    ("fields", "'[\"iin\"]'"),
    ("details", "'{\"n\": 99}'"),
    ("ip", "'192.0.2.1'"),
    ("via", "'api'"),
    ("prev_hash", "'" + "0" * 64 + "'"),
    ("entry_hash", "'" + "f" * 64 + "'"),
]


def test_every_stored_column_is_covered() -> None:
    stored = {f.column for f in AuditEntry._meta.concrete_fields} - {"id"}
    assert stored == {column for column, _value in TAMPERED_COLUMNS}


@pytest.mark.parametrize(("column", "value"), TAMPERED_COLUMNS)
def test_tampering_with_any_column_of_any_entry_is_detected(
    personas, column: str, value: str | None
) -> None:
    with audit.acting_as(personas["coordinator"], ip="10.0.0.5", via="web"):
        _entries(5)
    if column == "at":
        value = (
            "datetime(at, '+1 second')"
            if connection.vendor == "sqlite"
            else "at + INTERVAL '1 second'"
        )
    if column == "actor_id":
        value = str(personas["tutor"].pk)
    with audit_unlocked(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE core_auditentry SET {column} = {value} WHERE seq = 3")  # noqa: S608
    result = audit.verify_chain()
    assert not result.ok, column
    assert result.broken_seq == 3, (column, result)
