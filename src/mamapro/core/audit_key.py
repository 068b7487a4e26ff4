"""The audit chain's key and its keyed hash (HMAC-SHA-256), kept apart from the models.

The key lives outside the database (the AUDIT_KEY variable, or `var/audit_key` for the local
demo), so whoever can rewrite the database — a leaked backup edited and restored, an SQL
injection, a curious administrator with a database client — cannot recompute the chain after
changing or removing an entry: `mamapro audit verify` names the first entry that no longer
matches. Settings and migrations import this module, so it imports nothing from Django's
models.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from mamapro.conf import create_once

MIN_LENGTH = 32
KEY_FILE = "audit_key"


def check_audit_key(key: str) -> str:
    if len(key) < MIN_LENGTH:
        raise ImproperlyConfigured(f"AUDIT_KEY must be at least {MIN_LENGTH} characters long.")
    return key


def local_audit_key(var_dir: Path) -> str:
    """The demo's key: generated once under var/ with owner-only permissions.

    Created only if absent (os.link fails on an existing file), so two processes starting at
    once end up with the same key instead of one chain under two keys.
    """
    path = var_dir / KEY_FILE
    if path.exists():
        return check_audit_key(path.read_text().strip())
    var_dir.mkdir(parents=True, exist_ok=True)
    create_once(path, secrets.token_urlsafe(48) + "\n")
    return local_audit_key(var_dir)


def audit_key_from_env(var_dir: Path, *, required: bool) -> str:
    """AUDIT_KEY from the environment; a deployment (DATABASE_URL) must set it."""
    raw = (os.environ.get("AUDIT_KEY") or "").strip()
    if raw:
        return check_audit_key(raw)
    if required:
        raise ImproperlyConfigured(
            "AUDIT_KEY is required when DATABASE_URL is set (at least 32 random characters, "
            "kept outside the database and its backups); only the local SQLite demo "
            "generates one under var/."
        )
    return local_audit_key(var_dir)


def _payload(fields: dict[str, Any]) -> bytes:
    at = fields["at"]
    if isinstance(at, datetime):
        at = at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(
        {**fields, "at": at}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


def keyed_hash(key: str, fields: dict[str, Any]) -> str:
    """The entry's HMAC-SHA-256 under `key` (64 hex digits, the width of the old SHA-256)."""
    return hmac.new(key.encode(), _payload(fields), hashlib.sha256).hexdigest()


def plain_hash(fields: dict[str, Any]) -> str:
    """The unkeyed SHA-256 the chain used before it was keyed (migration 0004 re-keys it)."""
    return hashlib.sha256(_payload(fields)).hexdigest()


def term_digest(key: str, text: str) -> str:
    """A keyed digest of a typed name, phone or log-in, so the log never holds the text.

    Spacing and case are folded, so the same term typed twice gives the same digest and the
    director can still find, for a given log-in, the failed attempts made with it.
    """
    folded = " ".join(text.split()).casefold()
    return hmac.new(key.encode(), b"term\x00" + folded.encode(), hashlib.sha256).hexdigest()[:32]
