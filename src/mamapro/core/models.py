"""What every domain shares: the user account, the audit log and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from binascii import unhexlify
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import random_hex

from mamapro.core.crypto import EncryptedTextField


class User(AbstractUser):  # type: ignore[django-manager-missing]  # (django-otp is untyped)
    """A staff account. Mothers do not need one to apply."""

    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Interface language, remembered across devices."),
    )

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class AppendOnlyQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One audited event; `entry_hash` chains it to the entry before it.

    Rows are never updated or deleted (enforced here and by database triggers), so a changed or
    removed row breaks the chain and `mamapro audit verify` names the first one that does.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        READ_SENSITIVE = "read_sensitive", _("read sensitive data")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logged out")
        TOKEN = "token", _("API token issued")
        SYSTEM = "system", _("system")

    seq = models.BigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("who (as recorded)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    centre_id = models.BigIntegerField(_("centre"), null=True, blank=True, db_index=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    via = models.CharField(_("via"), max_length=16, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor", "at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


class AuditChainHead(models.Model):
    """A single row holding the chain's tip; appending locks it so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.seq} {self.entry_hash[:12]}"


class AnonymousAuditWindow(models.Model):
    """How many anonymous events one address sent in one minute (core/audit.py): the first
    few are appended to the chain, the rest only counted here, then logged as one summary."""

    ip = models.GenericIPAddressField()
    window = models.DateTimeField()
    logged = models.PositiveIntegerField(default=0)
    coalesced = models.PositiveIntegerField(default=0)
    actions = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ip", "window"], name="core_anon_audit_window_once")
        ]

    def __str__(self) -> str:
        return f"{self.ip} @ {self.window:%H:%M}: {self.logged}+{self.coalesced}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


TOKEN_DAYS = 90


def _token_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=TOKEN_DAYS)


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once.

    Every token expires (TOKEN_DAYS by default, `mamapro token create --days N`), and a
    revoked token stays revoked: `revoked_at` can be set once and never cleared.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), default=_token_expiry)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.revoked_at is None:
            stored = type(self).objects.filter(pk=self.pk).values_list("revoked_at", flat=True)
            if stored.first() is not None:
                raise PermissionError("A revoked API token stays revoked.")
        super().save(*args, **kwargs)

    @classmethod
    def issue(cls, user: User, label: str = "", days: int = TOKEN_DAYS) -> tuple[ApiToken, str]:
        raw = "mp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            key_hash=hash_token(raw),
            prefix=raw[:8],
            label=label,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        return token, raw

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def revoke(self) -> bool:
        """Revoke it now; False when it already was (the first revocation time stays)."""
        if self.revoked_at is not None:
            return False
        now = timezone.now()
        done = type(self).objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now)
        if done:
            self.revoked_at = now
        return bool(done)


class LoginFailure(models.Model):
    """A failed log-in or a wrong second-step code, kept a day for the throttle
    (core/security.py): per name (a keyed digest, never the typed text) and address."""

    username_key = models.CharField(max_length=150)
    ip = models.CharField(max_length=45)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["username_key", "ip", "at"])]

    def __str__(self) -> str:
        return f"{self.username_key} @ {self.ip}"


def _new_totp_key() -> str:
    return random_hex(20)


class TOTPDevice(TimestampMixin, Device):
    """An authenticator app (TOTP, RFC 6238), as django-otp's TOTPDevice but with its secret
    encrypted at rest (core/crypto.py): a copy of the database or a backup does not hold the
    codes of every staff member's phone.

    There is no per-device throttle: wrong codes count per user and address, with a capped
    wait (core/security.py), so someone with her password elsewhere cannot lock her out.
    """

    key = EncryptedTextField(default=_new_totp_key)
    step: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=30)
    t0: models.BigIntegerField[int, int] = models.BigIntegerField(default=0)
    digits: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        choices=[(6, 6), (8, 8)], default=6
    )
    tolerance: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        default=1
    )
    drift: models.SmallIntegerField[int, int] = models.SmallIntegerField(default=0)
    last_t: models.BigIntegerField[int, int] = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def _totp(self) -> TOTP:
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        return totp

    def current_code(self) -> str:
        return f"{self._totp().token():0{self.digits}d}"

    def verify_token(self, token: Any) -> bool:
        """True for a right code not used before (one use per code); the drift follows her
        phone's clock."""
        try:
            value = int(token)
        except (TypeError, ValueError):
            return False
        totp = self._totp()
        if not totp.verify(value, self.tolerance, self.last_t + 1):
            return False
        self.last_t = totp.t()
        self.drift = totp.drift
        self.set_last_used_timestamp(commit=False)
        self.save(update_fields=["last_t", "drift", "last_used_at"])
        return True

    @property
    def config_url(self) -> str:
        """The otpauth:// link an authenticator app reads from the QR code."""
        from base64 import b32encode
        from urllib.parse import quote, urlencode

        issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "")).replace(":", "")
        label = f"{issuer}:{self.user.get_username()}" if issuer else self.user.get_username()
        params = {
            "secret": b32encode(self.bin_key),
            "algorithm": "SHA1",
            "digits": self.digits,
            "period": self.step,
        }
        url = f"otpauth://totp/{quote(label)}?{urlencode(params)}"
        return url + (f"&issuer={quote(issuer)}" if issuer else "")
