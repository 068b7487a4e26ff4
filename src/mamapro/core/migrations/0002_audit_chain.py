"""The audit chain's head row, and database triggers that make the log append-only.

The model refuses updates and deletes too; the triggers also stop raw SQL and other programs.
They can be unlocked for one connection (PostgreSQL: `SET mamapro.audit_unlocked = 'on'`;
SQLite: the `mamapro_audit_locked()` function the app registers, see core.dbguard) so that
the test suite can empty its database; anyone who unlocks them to change an entry is still
caught by `audit verify`, which names the first entry that no longer matches its hash. On
SQLite a connection that lacks the function cannot change the log at all.
"""

from typing import Any

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       WHEN mamapro_audit_locked()
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;""",
    """CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
       WHEN mamapro_audit_locked()
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete;",
]
POSTGRES = [
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
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;",
    "DROP TRIGGER IF EXISTS core_auditentry_no_change ON core_auditentry;",
    "DROP FUNCTION IF EXISTS core_auditentry_append_only();",
]


def _run(statements_by_vendor: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def create_head(apps: Any, schema_editor: Any) -> None:
    head = apps.get_model("core", "AuditChainHead")
    head.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"seq": 0, "entry_hash": "0" * 64}
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
