"""`mamapro rotate-key`: re-encrypt every encrypted value under the newest data key.

With DATA_KEYS from the environment: put a new key first (`mamapro rotate-key --new-key`
prints one), restart, run `mamapro rotate-key`, then remove the old keys from DATA_KEYS.
For the local demo (keys under var/): the command makes the new key itself, re-encrypts, and
forgets the old one. Either way everything is rewritten in one transaction, blind indexes
(every BlindIndexField: the IIN's, the circumstance kind's) are recomputed, and the audit log
records the rotation. Until it has run, lookups by blind index try every key in DATA_KEYS
(core/crypto.blind_q), so nothing is missed while old and new keys are both configured.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from mamapro.conf import local_keys_path, new_key, write_local_keys
from mamapro.core import audit, crypto
from mamapro.core.models import AuditEntry


def encrypted_fields() -> list[tuple[Any, list[str]]]:
    found = []
    for model in apps.get_models():
        names = [
            f.name for f in model._meta.concrete_fields if isinstance(f, crypto.EncryptedTextField)
        ]
        if names:
            found.append((model, names))
    return found


def reencrypt_all() -> dict[str, int]:
    """Read each value (any key decrypts) and write it back (the first key encrypts)."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model, names in encrypted_fields():
            digests = [
                f for f in model._meta.concrete_fields if isinstance(f, crypto.BlindIndexField)
            ]
            loaded = {f.source for f in digests} | {f.attname for f in digests}
            loaded |= {f.scope for f in digests if f.scope}
            n = 0
            for row in model._base_manager.only("pk", *names, *loaded).iterator(chunk_size=500):
                values: dict[str, Any] = {name: getattr(row, name) for name in names}
                # Every blind index (the IIN's, the circumstance kind's) under the new key;
                # one left empty on purpose (an IIN kept out of the unique index until the
                # director merges two records) stays empty.
                for field in digests:
                    if getattr(row, field.attname):
                        values[field.attname] = field.digest_for(row)
                model._base_manager.filter(pk=row.pk).update(**values)
                n += 1
            counts[model._meta.label_lower] = n
        audit.record(AuditEntry.Action.SYSTEM, details={"event": "data_key_rotated", **counts})
    return counts


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields under the newest data key (see DATA_KEYS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--new-key", action="store_true", help="only print a fresh key for DATA_KEYS"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            self.stdout.write(new_key())
            return
        with audit.acting_as(None, via="cli"):
            if settings.DATA_KEYS_FROM_ENV:
                counts = reencrypt_all()
                self.stdout.write(
                    f"Re-encrypted {sum(counts.values())} rows under the first key in DATA_KEYS; "
                    "you may now remove the other keys from DATA_KEYS."
                )
                return
            old = list(settings.DATA_KEYS)
            fresh = new_key()
            # New key first, old ones still readable, until everything is rewritten.
            write_local_keys(settings.VAR_DIR, [fresh, *old])
            settings.DATA_KEYS = [fresh, *old]
            try:
                counts = reencrypt_all()
            except BaseException:
                write_local_keys(settings.VAR_DIR, old)
                settings.DATA_KEYS = old
                raise
            write_local_keys(settings.VAR_DIR, [fresh])
            settings.DATA_KEYS = [fresh]
            self.stdout.write(
                f"Re-encrypted {sum(counts.values())} rows under a new key "
                f"({local_keys_path(settings.VAR_DIR)}); the old key is gone."
            )
