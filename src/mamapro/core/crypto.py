"""Encryption at rest for sensitive and confidential fields (IIN, addresses, safe-contact
notes, circumstance notes, children's medical notes, the adults around a child, counselling
notes).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the maintained
`cryptography` library) under the first key of `settings.DATA_KEYS`; any key in the list
decrypts, so keys can be rotated: put a new key first, run `mamapro rotate-key`, then drop
the old ones. Stored values start with "enc:"; an empty value stays empty.

An encrypted column cannot be searched, and a filter on one would silently match nothing (a
value encrypts differently every time), so EncryptedTextField refuses every lookup but
"is empty". Where an exact lookup is needed (the IIN, to find a duplicate; the circumstance
kind, to count survivors), a BlindIndexField — a keyed HMAC of the value — sits beside it,
and queries go through `blind_q`.

Rotation: a digest is written under the first key, but a lookup asks for the digest under
every key in DATA_KEYS. Between putting a new key first and `mamapro rotate-key` finishing,
rows carry digests under the old key and new rows under the new one; asking for only the
new key's digest would miss the older rows (a duplicate IIN registered twice, survivors left
out of a count).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.db.models.lookups import Exact, IsNull, Lookup

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


def _digest(key: str, value: str, purpose: str) -> str:
    raw = base64.urlsafe_b64decode(key.encode())
    derived = hmac.new(raw, f"blind-index:{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(derived, value.encode(), hashlib.sha256).hexdigest()


def blind_index(value: str, purpose: str) -> str:
    """The keyed digest to store for exact lookups of an encrypted value, under the current
    key (`mamapro rotate-key` recomputes the digests with the new one). Never compare with
    it alone: look up with `blind_indexes` / `blind_q`."""
    return _digest(settings.DATA_KEYS[0], value, purpose)


def blind_indexes(values: Iterable[str], purpose: str) -> list[str]:
    """The digests of `values` under every key in DATA_KEYS: what a stored digest may be
    while a rotation is under way."""
    return [_digest(key, value, purpose) for value in values for key in settings.DATA_KEYS]


def blind_q(path: str, purpose: str, *values: str) -> Q:
    """Rows whose blind index at `path` ("iin_digest", "circumstances__kind_digest") is
    that of one of `values`, under any key."""
    return Q(**{f"{path}__in": blind_indexes(values, purpose)})


class EncryptedTextField(models.TextField):
    """Text stored encrypted; read back as plain text. Only `isnull` and empty-string
    lookups make sense on it (a value encrypts differently every time); any other lookup
    raises FieldError instead of quietly matching nothing."""

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return IsNull
        return _EncryptedExact if lookup_name == "exact" else _RefusedLookup

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


class _RefusedLookup(Lookup[Any]):
    """`icontains`, `in`, `startswith`… on an encrypted column: it would compare ciphertext."""

    def __init__(self, lhs: Any, rhs: Any) -> None:
        target = getattr(lhs, "target", None)
        name = f"{target.model.__name__}.{target.name}" if target is not None else "This field"
        raise FieldError(
            f"{name} is encrypted: it can only be compared with '' or tested for NULL "
            "(filter by its blind index, core.crypto.blind_q)."
        )


class _EncryptedExact(Exact):
    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                f"{self.lhs.target.model.__name__}.{self.lhs.target.name} is encrypted: "
                "filter by its blind index (core.crypto.blind_q), not by its value."
            )
        return super().get_prep_lookup()


class BlindIndexField(models.CharField):
    """The keyed digest of another (encrypted) field, `source`, for exact lookups; filled
    on every save (also by bulk_create) and recomputed by `mamapro rotate-key`.

    With `scope` (the attname of another field, e.g. "participant_id") the digest is of
    "<scope>:<value>": equal values of different rows no longer share a digest. Use it for a
    value with few possible values (the circumstance kind): an unscoped digest would show
    anyone holding a copy of the database which women share a circumstance, and the rarest
    group is easy to name. A scoped digest still keeps one row per (scope, value) with a
    unique constraint and finds rows of given values with `scoped_digests`.
    """

    def __init__(
        self, *args: Any, source: str, purpose: str, scope: str | None = None, **kwargs: Any
    ) -> None:
        self.source = source
        self.purpose = purpose
        self.scope = scope
        kwargs.setdefault("max_length", 64)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        if kwargs.get("max_length") == 64:
            del kwargs["max_length"]
        kwargs["source"] = self.source
        kwargs["purpose"] = self.purpose
        if self.scope is not None:
            kwargs["scope"] = self.scope
        return name, path, args, kwargs

    def digest_for(self, instance: Any) -> str | None:
        """The digest to store for `instance`, under the current key."""
        value = getattr(instance, self.source)
        if not value:
            return None if self.null else ""
        if self.scope is not None:
            value = f"{getattr(instance, self.scope)}:{value}"
        return blind_index(value, self.purpose)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        digest = self.digest_for(model_instance)
        setattr(model_instance, self.attname, digest)
        return digest


def scoped_digests(field: BlindIndexField, scope_value: Any, values: Iterable[str]) -> list[str]:
    """What `field` may hold for a row of `scope_value` whose source is one of `values`,
    under any key in DATA_KEYS."""
    return blind_indexes((f"{scope_value}:{value}" for value in values), field.purpose)
