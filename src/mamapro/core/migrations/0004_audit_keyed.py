"""The keyed audit chain (HMAC), a protected head, and triggers the app's role cannot unlock.

1. `AnonymousAuditWindow` counts anonymous events per address and minute (core/audit.py).
2. The existing chain is checked with the old unkeyed SHA-256 and, if it holds, re-keyed with
   AUDIT_KEY, so `audit verify` passes after the upgrade and no entry is left that anyone
   with the database alone could rewrite. A chain that is already broken is NOT re-keyed
   (that would launder the tampering): the migration stops and names the entry. Set
   MAMAPRO_AUDIT_REKEY_BROKEN=1 to re-key it anyway once a copy has been kept; the keyed
   chain then starts with a system entry saying where the old one was broken.
3. New triggers. PostgreSQL: `SET mamapro.audit_unlocked` is honoured only for a superuser or
   the role that owns the table, so an application role that does not own the audit tables
   (see `mamapro audit harden`) can neither change nor erase entries. The chain head only
   moves forward, to an entry that exists with that hash, on both databases.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import migrations, models

from mamapro.core.audit_key import keyed_hash, plain_hash

GENESIS = "0" * 64
HeadHash = Callable[[dict[str, Any]], str]

# --- triggers -------------------------------------------------------------------------------

OLD_SQLITE = [
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       WHEN mamapro_audit_locked()
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;""",
    """CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
       WHEN mamapro_audit_locked()
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;""",
]
OLD_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete;",
]
OLD_POSTGRES = [
    """CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
       BEGIN
         IF current_setting('mamapro.audit_unlocked', true) = 'on' THEN
           IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'the audit log is append-only';
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER core_auditentry_no_change BEFORE UPDATE OR DELETE ON core_auditentry
       FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only();""",
    """CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_append_only();""",
]
OLD_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;",
    "DROP TRIGGER IF EXISTS core_auditentry_no_change ON core_auditentry;",
    "DROP FUNCTION IF EXISTS core_auditentry_append_only();",
]

# The head may be created only empty (after a test flush; a head put back empty over entries
# fails `audit verify`), and may only move forward to an entry that exists with that very
# hash: a head rewound over erased entries is refused.
SQLITE_HEAD_OK = """NEW.id = OLD.id AND (
      (NEW.seq = OLD.seq AND NEW.entry_hash = OLD.entry_hash)
      OR (NEW.seq > OLD.seq AND EXISTS (
            SELECT 1 FROM core_auditentry e
            WHERE e.seq = NEW.seq AND e.entry_hash = NEW.entry_hash)))"""
SQLITE_HEAD_FIRST = """NEW.id = 1 AND NEW.seq = 0
      AND NEW.entry_hash = '0000000000000000000000000000000000000000000000000000000000000000'
      """
SQLITE = [
    *OLD_SQLITE,
    f"""CREATE TRIGGER core_auditchainhead_forward BEFORE UPDATE ON core_auditchainhead
       WHEN mamapro_audit_locked() AND NOT ({SQLITE_HEAD_OK})
       BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END;""",
    """CREATE TRIGGER core_auditchainhead_no_delete BEFORE DELETE ON core_auditchainhead
       WHEN mamapro_audit_locked()
       BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END;""",
    f"""CREATE TRIGGER core_auditchainhead_first BEFORE INSERT ON core_auditchainhead
       WHEN mamapro_audit_locked() AND NOT ({SQLITE_HEAD_FIRST})
       BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END;""",
]
SQLITE_DROP = [
    *OLD_SQLITE_DROP,
    "DROP TRIGGER IF EXISTS core_auditchainhead_forward;",
    "DROP TRIGGER IF EXISTS core_auditchainhead_no_delete;",
    "DROP TRIGGER IF EXISTS core_auditchainhead_first;",
]

# Unlocking needs the setting AND the privileges of the table's owner (a superuser has them):
# any role may SET a custom setting, only the owner could drop the trigger anyway.
PG_UNLOCKED = """current_setting('mamapro.audit_unlocked', true) = 'on'
         AND pg_has_role(current_user,
                         (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')"""


def _postgres(schema: str) -> list[str]:
    # A fixed search_path: a role that may create a schema cannot shadow what the trigger calls.
    path = f"SET search_path = pg_catalog, {schema}"
    return [
        f"""CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger
           LANGUAGE plpgsql {path} AS $$
           BEGIN
             IF {PG_UNLOCKED} THEN
               IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
               RETURN NEW;
             END IF;
             RAISE EXCEPTION 'the audit log is append-only';
           END; $$;""",
        """CREATE TRIGGER core_auditentry_no_change BEFORE UPDATE OR DELETE ON core_auditentry
           FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only();""",
        """CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
           FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_append_only();""",
        f"""CREATE OR REPLACE FUNCTION core_auditchainhead_forward_only() RETURNS trigger
           LANGUAGE plpgsql {path} AS $$
           BEGIN
             IF {PG_UNLOCKED} THEN
               IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
               RETURN NEW;
             END IF;
             IF TG_OP = 'INSERT' THEN
               -- Only the empty head; while one exists the primary key refuses a second
               -- (the error get_or_create expects when two writers race after a flush).
               IF NEW.id = 1 AND NEW.seq = 0 AND NEW.entry_hash = repeat('0', 64) THEN
                 RETURN NEW;
               END IF;
             ELSIF TG_OP = 'UPDATE' THEN
               IF NEW.id = OLD.id AND NEW.seq = OLD.seq AND NEW.entry_hash = OLD.entry_hash THEN
                 RETURN NEW;
               END IF;
               IF NEW.id = OLD.id AND NEW.seq > OLD.seq AND EXISTS (
                    SELECT 1 FROM core_auditentry e
                    WHERE e.seq = NEW.seq AND e.entry_hash = NEW.entry_hash) THEN
                 RETURN NEW;
               END IF;
             END IF;
             RAISE EXCEPTION 'the audit chain head only moves forward';
           END; $$;""",  # noqa: S608 (constants only)
        """CREATE TRIGGER core_auditchainhead_forward
           BEFORE INSERT OR UPDATE OR DELETE ON core_auditchainhead
           FOR EACH ROW EXECUTE FUNCTION core_auditchainhead_forward_only();""",
        """CREATE TRIGGER core_auditchainhead_no_truncate BEFORE TRUNCATE ON core_auditchainhead
           FOR EACH STATEMENT EXECUTE FUNCTION core_auditchainhead_forward_only();""",
    ]


POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS core_auditchainhead_no_truncate ON core_auditchainhead;",
    "DROP TRIGGER IF EXISTS core_auditchainhead_forward ON core_auditchainhead;",
    "DROP FUNCTION IF EXISTS core_auditchainhead_forward_only();",
    *OLD_POSTGRES_DROP,
]


def _statements(schema_editor: Any, sqlite: list[str], postgres: Any) -> list[str]:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        return sqlite
    if vendor == "postgresql":
        if callable(postgres):
            with schema_editor.connection.cursor() as cursor:
                cursor.execute("SELECT current_schema()")
                schema = schema_editor.quote_name(cursor.fetchone()[0])
            return list(postgres(schema))
        return list(postgres)
    return []


def _run(sqlite: list[str], postgres: Any) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in _statements(schema_editor, sqlite, postgres):
            schema_editor.execute(sql)

    return run


# --- re-keying ------------------------------------------------------------------------------


def _fields(row: Any, prev: str) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at,
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "centre_id": row.centre_id,
        "fields": list(row.fields),
        "details": row.details,
        "ip": row.ip,
        "via": row.via,
        "prev": prev,
    }


def _first_break(entries: Any, hash_of: HeadHash, head: Any) -> str | None:
    prev, expected = GENESIS, 1
    for row in entries.order_by("seq").iterator(chunk_size=2000):
        if row.seq != expected:
            return f"entry #{expected} is missing"
        if row.prev_hash != prev or hash_of(_fields(row, prev)) != row.entry_hash:
            return f"entry #{row.seq} does not match its hash"
        prev, expected = row.entry_hash, expected + 1
    if head is not None and (head.seq, head.entry_hash) != (expected - 1, prev):
        return f"the head (#{head.seq}) does not match the last entry (#{expected - 1})"
    return None


def rechain(old: HeadHash, new: HeadHash, what: str) -> Any:
    """Check the chain under the `old` hash, then rewrite every link under the `new` one."""

    def run(apps: Any, schema_editor: Any) -> None:
        using = schema_editor.connection.alias
        entry_model = apps.get_model("core", "AuditEntry")
        head_model = apps.get_model("core", "AuditChainHead")
        entries = entry_model.objects.using(using)
        head = head_model.objects.using(using).filter(pk=1).first()
        broken = _first_break(entries, old, head)
        if broken and os.environ.get("MAMAPRO_AUDIT_REKEY_BROKEN") != "1":
            raise RuntimeError(
                f"The audit chain is already broken ({broken}); {what} it would hide that. "
                "Keep a copy of the database, then set MAMAPRO_AUDIT_REKEY_BROKEN=1 and "
                "migrate again."
            )
        prev, seq, batch = GENESIS, 0, []
        for row in entries.order_by("seq").iterator(chunk_size=2000):
            row.prev_hash = prev
            row.entry_hash = new(_fields(row, prev))
            prev, seq = row.entry_hash, row.seq
            batch.append(row)
            if len(batch) >= 1000:
                entries.bulk_update(batch, ["prev_hash", "entry_hash"])
                batch = []
        if batch:
            entries.bulk_update(batch, ["prev_hash", "entry_hash"])
        if broken:
            from django.utils import timezone

            seq += 1
            note = entry_model(
                seq=seq,
                at=timezone.now(),
                actor_name="",
                action="system",
                fields=[],
                details={"audit_chain": f"{what}; before that it was broken: {broken}"},
                via="system",
                prev_hash=prev,
            )
            note.entry_hash = new(_fields(note, prev))
            prev = note.entry_hash
            entries.bulk_create([note])
        head_model.objects.using(using).update_or_create(
            pk=1, defaults={"seq": seq, "entry_hash": prev}
        )

    return run


def _keyed(fields: dict[str, Any]) -> str:
    return keyed_hash(settings.AUDIT_KEY, fields)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_login_failure")]

    operations = [
        migrations.CreateModel(
            name="AnonymousAuditWindow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("ip", models.GenericIPAddressField()),
                ("window", models.DateTimeField()),
                ("logged", models.PositiveIntegerField(default=0)),
                ("coalesced", models.PositiveIntegerField(default=0)),
                ("actions", models.JSONField(default=dict)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("ip", "window"), name="core_anon_audit_window_once"
                    )
                ],
            },
        ),
        migrations.RunPython(
            _run(OLD_SQLITE_DROP, OLD_POSTGRES_DROP), _run(OLD_SQLITE, OLD_POSTGRES)
        ),
        migrations.RunPython(
            rechain(plain_hash, _keyed, "keying the chain"),
            rechain(_keyed, plain_hash, "un-keying the chain"),
        ),
        migrations.RunPython(_run(SQLITE, _postgres), _run(SQLITE_DROP, POSTGRES_DROP)),
    ]
