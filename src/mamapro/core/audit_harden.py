"""PostgreSQL: give the audit tables to an owner role, so the application's role cannot
unlock, disable or drop their triggers (`mamapro audit harden --app-role NAME`).

Run it as the owner (or a superuser) after `migrate`. Afterwards the application's role may
only read the log, append to it and move the head forward (which the head's trigger checks);
`SET mamapro.audit_unlocked` has no effect for it, since the triggers honour it only for the
tables' owner or a superuser, and it cannot drop, disable or replace the triggers, truncate
the tables or drop them. Future migrations that alter the audit tables run as the owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections

ENTRY = "core_auditentry"
HEAD = "core_auditchainhead"
FUNCTIONS = ("core_auditentry_append_only()", "core_auditchainhead_forward_only()")


class HardenError(Exception):
    pass


@dataclass(frozen=True)
class Plan:
    owner: str
    app_role: str
    statements: list[str]


def plan(app_role: str, *, owner: str | None = None, using: str = "default") -> Plan:
    """The statements that hand the audit tables to `owner` and leave `app_role` append-only.

    Refuses an application role that could undo them: a superuser, the owner itself or a
    member of it, or the owner of the schema the tables live in (who may drop them).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise HardenError(
            "audit harden is for PostgreSQL. On SQLite whoever can write the database file "
            "can change anything in it: publish the head (`mamapro audit head --publish`) "
            "and keep copies outside the machine."
        )
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = owner or cursor.fetchone()[0]
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
        found = cursor.fetchone()
        if found is None:
            raise HardenError(f"--app-role: there is no role named {app_role!r}.")
        if found[0]:
            raise HardenError(f"--app-role: {app_role!r} is a superuser; it could undo this.")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [owner])
        if cursor.fetchone() is None:
            raise HardenError(f"--owner: there is no role named {owner!r}.")
        cursor.execute("SELECT pg_has_role(%s, %s, 'USAGE')", [app_role, owner])
        if app_role == owner or cursor.fetchone()[0]:
            raise HardenError(
                f"--app-role: {app_role!r} is (or acts as) the owner {owner!r}; give the "
                "application a role of its own."
            )
        cursor.execute(
            "SELECT pg_has_role(%s, n.nspowner, 'USAGE') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = %s::regclass",
            [app_role, ENTRY],
        )
        if cursor.fetchone()[0]:
            raise HardenError(
                f"--app-role: {app_role!r} owns the schema of the audit tables (or the "
                "database, whose owner owns the public schema) and could drop them; make the "
                "owner role own the database and schema."
            )
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [ENTRY])
        sequence = cursor.fetchone()[0]
    app, own = quote(app_role), quote(owner)
    statements = [
        f"ALTER TABLE {ENTRY} OWNER TO {own}",
        f"ALTER TABLE {HEAD} OWNER TO {own}",
        *(f"ALTER FUNCTION {function} OWNER TO {own}" for function in FUNCTIONS),
        f"REVOKE ALL ON {ENTRY}, {HEAD} FROM PUBLIC",
        f"REVOKE ALL ON {ENTRY}, {HEAD} FROM {app}",
        f"GRANT SELECT, INSERT ON {ENTRY} TO {app}",
        # The head moves forward by UPDATE (its trigger checks that it does); SELECT ... FOR
        # UPDATE needs the UPDATE privilege on a column.
        f"GRANT SELECT ON {HEAD} TO {app}",
        f"GRANT UPDATE (seq, entry_hash) ON {HEAD} TO {app}",
    ]
    if sequence:
        statements.append(f"GRANT USAGE ON SEQUENCE {sequence} TO {app}")
    return Plan(owner, app_role, statements)


def weakness(using: str = "default") -> str | None:
    """What `audit verify` should add: how this connection's role could undo the protections."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        return (
            "SQLite: whoever can write the database file (and read the key next to it) can "
            "rewrite the chain so that it verifies; only a head published earlier and kept "
            "elsewhere (`audit head --publish`, then `audit verify --heads-file`) catches that."
        )
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper, pg_has_role(current_user, c.relowner, 'USAGE') "
            "FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = %s::regclass",
            [ENTRY],
        )
        superuser, owner = cursor.fetchone()
    if superuser or owner:
        return (
            "PostgreSQL: this role owns the audit tables or is a superuser, so it can unlock "
            "or drop their triggers; run the application under a role of its own "
            "(`mamapro audit harden --app-role NAME`)."
        )
    return None


def apply(hardening: Plan, using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in hardening.statements:
            cursor.execute(sql)
