"""Encryption at rest for sensitive and confidential fields (IIN, addresses, safe-contact
notes, circumstance notes, children's medical notes, the adults around a child, counselling
notes).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the maintained
`cryptography` library) under the first key of `settings.DATA_KEYS`; any key in the list
decrypts, so keys can be rotated: put a new key first, run `mamapro rotate-key`, then drop
the old ones. Stored values start with "enc:"; an empty value stays empty.

An encrypted column cannot be searched. Where an exact lookup is needed (the IIN, to find a
duplicate), a blind index — a keyed HMAC of the normalised value — sits beside it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc:"


@lru_cache(maxsize=1)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.DATA_KEYS))


def encrypt(text: str) -> str:
    return PREFIX + _current().encrypt(text.encode()).decode()


def decrypt(value: str) -> str:
    if not value.startswith(PREFIX):
        return value  # written before encryption was switched on; rotate-key encrypts it
    try:
        return _current().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "An encrypted value cannot be read with any key in DATA_KEYS: is a key missing?"
        ) from None


def blind_index(value: str, purpose: str) -> str:
    """A keyed digest for exact lookups of an encrypted value, under the current key
    (`mamapro rotate-key` recomputes the digests with the new one)."""
    key = base64.urlsafe_b64decode(settings.DATA_KEYS[0].encode())
    derived = hmac.new(key, f"blind-index:{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(derived, value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Text stored encrypted; read back as plain text. Only `isnull` and empty-string
    lookups make sense on it (a value encrypts differently every time)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
