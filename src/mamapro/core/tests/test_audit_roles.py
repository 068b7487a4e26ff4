"""PostgreSQL: the application's own role cannot switch the audit log's protections off.

Each test creates a non-superuser role, connects AS it (a separate connection) and tries what
finding 9 found: unlocking the triggers with `SET mamapro.audit_unlocked`, disabling or
dropping them, erasing, truncating, rewinding the head. Data is committed (transactional
tests) so that the other connection sees it; the database is re-read to prove nothing moved.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from mamapro.core import audit, audit_harden
from mamapro.core.models import AuditChainHead, AuditEntry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's"),
]


ROLE_PASSWORD = secrets.token_hex(16)


def _sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.fixture
def role() -> Iterator[str]:
    name = f"mp_app_{secrets.token_hex(4)}"
    # A password too, for a server that asks for one over TCP (trust auth ignores it).
    _sql(f"CREATE ROLE {name} LOGIN PASSWORD '{ROLE_PASSWORD}' NOSUPERUSER NOCREATEDB NOCREATEROLE")
    try:
        yield name
    finally:
        _sql("RESET ROLE")
        _sql(f"ALTER TABLE core_auditentry OWNER TO {connection.settings_dict['USER']}")
        _sql(f"ALTER TABLE core_auditchainhead OWNER TO {connection.settings_dict['USER']}")
        _sql(f"DROP OWNED BY {name}")
        _sql(f"DROP ROLE {name}")


def _connect_as(role: str) -> psycopg.Connection:
    params = connection.get_connection_params()
    return psycopg.connect(
        host=params.get("host") or "127.0.0.1",
        port=params.get("port") or 5432,
        dbname=connection.settings_dict["NAME"],
        user=role,
        password=ROLE_PASSWORD,
        autocommit=True,
    )


def _entries(n: int) -> list[str]:
    return [
        audit.record_events([audit.Event(AuditEntry.Action.SYSTEM, details={"n": i})])[0].entry_hash
        for i in range(n)
    ]


def _untouched(hashes: list[str]) -> None:
    assert list(AuditEntry.objects.order_by("seq").values_list("entry_hash", flat=True)) == hashes
    head = AuditChainHead.objects.get()
    assert (head.seq, head.entry_hash) == (len(hashes), hashes[-1])
    assert audit.verify_chain().ok


def test_the_unlock_is_ignored_for_a_role_that_does_not_own_the_log(role: str) -> None:
    hashes = _entries(3)
    # Even with every privilege on the tables (a careless GRANT), the triggers hold for her.
    _sql(f"GRANT ALL ON core_auditentry, core_auditchainhead TO {role}")
    with _connect_as(role) as app:
        app.execute("SET mamapro.audit_unlocked = 'on'")
        for statement, refusal in [
            ("""UPDATE core_auditentry SET details = '{"n": 9}' WHERE seq = 2""", "append-only"),
            ("DELETE FROM core_auditentry WHERE seq = 3", "append-only"),
            ("TRUNCATE core_auditentry CASCADE", "append-only"),
            ("UPDATE core_auditchainhead SET seq = 2", "only moves forward"),
            ("DELETE FROM core_auditchainhead", "only moves forward"),
        ]:
            with pytest.raises(psycopg.Error, match=refusal):
                app.execute(statement)
    _untouched(hashes)


ATTACKS = [
    ("""UPDATE core_auditentry SET details = '{"n": 9}'""", "permission denied"),
    ("DELETE FROM core_auditentry", "permission denied"),
    ("TRUNCATE core_auditentry CASCADE", "permission denied"),
    ("ALTER TABLE core_auditentry DISABLE TRIGGER USER", "must be owner"),
    ("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_no_change", "must be owner"),
    ("DROP TRIGGER core_auditentry_no_change ON core_auditentry", "must be owner"),
    ("DROP TABLE core_auditentry CASCADE", "must be owner"),
    ("SET session_replication_role = replica", "permission denied"),
    (
        "CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        r"must be owner|permission denied for schema",
    ),
    ("UPDATE core_auditchainhead SET seq = 1", "only moves forward"),
    ("DELETE FROM core_auditchainhead", "permission denied"),
    ("ALTER TABLE core_auditchainhead DISABLE TRIGGER ALL", "must be owner"),
]


def test_harden_leaves_the_app_role_append_only(role: str) -> None:
    hashes = _entries(3)
    # Before: the app role owns the audit tables (it ran the migrations), so it can switch the
    # triggers off and erase the log (shown inside a transaction that is rolled back).
    _sql(f"ALTER TABLE core_auditentry OWNER TO {role}")
    _sql(f"ALTER TABLE core_auditchainhead OWNER TO {role}")
    _sql(f"GRANT ALL ON core_anonymousauditwindow TO {role}")
    with _connect_as(role) as app, app.transaction(force_rollback=True):
        app.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
        assert app.execute("DELETE FROM core_auditentry").rowcount == 3

    call_command("audit", "harden", "--app-role", role)

    with _connect_as(role) as app:
        for statement, refusal in ATTACKS:
            with pytest.raises(psycopg.Error, match=refusal):
                app.execute(statement)
        app.execute("SET mamapro.audit_unlocked = 'on'")
        with pytest.raises(psycopg.Error, match=r"permission denied|append-only"):
            app.execute("DELETE FROM core_auditentry")
    _untouched(hashes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid IN ('core_auditentry'::regclass, 'core_auditchainhead'::regclass)"
        )
        assert {enabled for _name, enabled in cursor.fetchall()} == {"O"}
    # What the application needs still works under its role: appending moves the head.
    _sql(f"SET ROLE {role}")
    try:
        audit.record(AuditEntry.Action.SYSTEM, details={"n": "after harden"})
        assert audit_harden.weakness() is None  # `audit verify` has nothing to warn about
    finally:
        _sql("RESET ROLE")
    assert audit.verify_chain() == audit.VerifyResult(True, 4)


def test_harden_refuses_a_role_that_could_undo_it(role: str, capsys) -> None:
    with pytest.raises(CommandError, match="no role named 'nobody_h1'"):
        call_command("audit", "harden", "--app-role", "nobody_h1")
    with pytest.raises(CommandError, match="is a superuser"):
        call_command("audit", "harden", "--app-role", connection.settings_dict["USER"])
    database = connection.settings_dict["NAME"]
    _sql(f"ALTER DATABASE {database} OWNER TO {role}")
    try:
        with pytest.raises(CommandError, match="owns the schema"):
            call_command("audit", "harden", "--app-role", role)
    finally:
        _sql(f"ALTER DATABASE {database} OWNER TO {connection.settings_dict['USER']}")
    call_command("audit", "harden", "--app-role", role, "--sql")
    printed = capsys.readouterr().out
    assert f'GRANT SELECT, INSERT ON core_auditentry TO "{role}";' in printed
    assert "ALTER TABLE core_auditentry OWNER TO" in printed
