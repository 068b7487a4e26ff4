"""Upgrading a database whose chain was written before the key (0003): `migrate` re-keys it
and `audit verify` passes; a chain already broken is not re-keyed (see test_audit_keyed.py).

Runs the real commands in a fresh SQLite database of its own (a subprocess per step)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLAIN_CHAIN = """
import django, json
django.setup()
from django.db import connection
from mamapro.core.audit_key import plain_hash
from django.utils import timezone
prev = "0" * 64
with connection.cursor() as cursor:
    for seq in (1, 2, 3):
        at = timezone.now()
        fields = {"seq": seq, "at": at, "actor_id": None, "actor_name": "", "action": "system",
                  "object_type": "", "object_id": "", "centre_id": None, "fields": [],
                  "details": {"n": seq}, "ip": None, "via": "cli", "prev": prev}
        entry_hash = plain_hash(fields)
        cursor.execute(
            "INSERT INTO core_auditentry (seq, at, actor_name, action, object_type, object_id,"
            " fields, details, via, prev_hash, entry_hash) VALUES (%s, %s, '', 'system', '', '',"
            " '[]', %s, 'cli', %s, %s)",
            [seq, at.isoformat(), json.dumps({"n": seq}), prev, entry_hash],
        )
        prev = entry_hash
    cursor.execute("UPDATE core_auditchainhead SET seq = 3, entry_hash = %s", [prev])
    if TAMPER:
        cursor.execute("DROP TRIGGER core_auditentry_no_update")
        cursor.execute("UPDATE core_auditentry SET details = '{\\"n\\": 9}' WHERE seq = 2")
"""


def _run(var: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    clean.update(env, MAMAPRO_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="mamapro.settings")
    return subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, *argv], env=clean, capture_output=True, text=True, check=False
    )


def _old_database(var: Path, *, tamper: bool) -> None:
    migrated = _run(var, "-m", "django", "migrate", "core", "0003_login_failure")
    assert migrated.returncode == 0, migrated.stderr
    written = _run(var, "-c", f"TAMPER = {tamper}\n{PLAIN_CHAIN}")
    assert written.returncode == 0, written.stderr


def test_migrate_rekeys_an_old_chain_and_verify_passes(tmp_path: Path) -> None:
    # (Refusing an already broken chain is tested on the migration's step itself, in
    # test_audit_keyed.py: a full migrate per case is slow.)
    _old_database(tmp_path, tamper=False)
    before = _run(tmp_path, "-m", "django", "audit", "verify")
    assert "Audit chain broken at entry #1" in before.stderr  # unkeyed: not valid under the key
    migrated = _run(tmp_path, "-m", "django", "migrate", "core")
    assert migrated.returncode == 0, migrated.stderr
    verified = _run(tmp_path, "-m", "django", "audit", "verify")
    assert "Audit chain intact: 3 entries verified." in verified.stdout, verified.stderr
