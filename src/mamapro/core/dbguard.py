"""Unlocking the audit log's append-only triggers, for the test suite's flush only.

SQLite has no session settings, so the triggers ask a function the app registers on every
connection. It answers "locked" unless the test suite unlocks it to empty its database. This
is no protection against a process that has the database file: it can register its own
function, or drop the triggers. On SQLite the keyed chain and a head published outside the
database (`mamapro audit head --publish`) are what catch a rewrite.

PostgreSQL: `SET mamapro.audit_unlocked = 'on'` is honoured only for a superuser or the
tables' owner (migration 0004); the application's own role, once `mamapro audit harden` has
given the tables to an owner role, cannot unlock, disable or drop the triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.backends.signals import connection_created

_unlocked = False


def set_unlocked(value: bool) -> None:
    global _unlocked
    _unlocked = value


def _audit_locked() -> int:
    return 0 if _unlocked else 1


def register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("mamapro_audit_locked", 0, _audit_locked)


def install() -> None:
    connection_created.connect(register, dispatch_uid="mamapro_audit_guard")


@contextmanager
def audit_unlocked(using: str = "default") -> Iterator[None]:
    """Let this process change or empty the audit log (the test suite's flush, nothing else)."""
    connection = connections[using]
    set_unlocked(True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET mamapro.audit_unlocked = 'on'")
    try:
        yield
    finally:
        set_unlocked(False)
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("RESET mamapro.audit_unlocked")
