"""Notifications waiting to be delivered.

This app records what must reach whom; the channels (email, SMS, WhatsApp, Telegram), the
person's language, safe hours and retries come with the notifications issue. A notification
names its subject (kind + object) rather than carrying text, so it is rendered in the
recipient's language when it is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamapro.centres.models import Centre
from mamapro.core.crypto import BlindIndexField, EncryptedTextField


class Notification(models.Model):
    class Kind(models.TextChoices):
        RESTRICTED_ADULT = "restricted_adult", _("A restricted adult was named in the kids' room")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    urgent = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


# --- Messages to women (and alerts to staff): the outbox ------------------------------------


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    EMAIL = "email", _("Email")


class MessageKind(models.TextChoices):
    OFFER = "offer", _("Seat offer")
    CONFIRMED = "confirmed", _("Enrollment confirmed")
    REMINDER = "reminder", _("Session reminder")
    NO_SHOW = "no_show", _("After a first-session no-show")
    ABSENCE = "absence", _("After two absences")
    CERTIFICATE = "certificate", _("Certificate ready")
    WORKSHOP = "workshop", _("Workshop on a topic she voted for")
    SURVEY = "survey", _("Follow-up survey")
    ROSTER_MESSAGE = "roster_message", _("Message to a run's roster")
    TELEGRAM_LINK = "telegram_link", _("Telegram link confirmation")
    STOPPED = "stopped", _("Confirmation that messages stopped")
    STAFF_ALERT = "staff_alert", _("Safety alert to staff")


class Delivery(models.Model):
    """One message to one person on one channel: the outbox row.

    Written in the same transaction as the event that causes it (a rolled-back enrollment
    leaves no delivery); the worker sends it later, after passing the safe-contact gate a
    second time. The text is rendered when it is sent (`text` keeps what went out), not
    when it is queued, so a template fixed in between is the one she receives.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        WAITING = "waiting", _("Waiting for her safe hours")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    # A woman (participant) or a staff member (user): exactly one is set.
    participant = models.ForeignKey(
        "people.Participant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=2)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    # Why it was not sent (a stable code; `notify.outbox.explain` gives the sentence).
    reason = models.CharField(_("reason"), max_length=48, blank=True)
    # The provider's last error, for staff (never her phone or the text).
    error = models.CharField(_("error"), max_length=300, blank=True)
    # What it is about: e.g. ("programs.enrollment", 12), ("programs.session", 7).
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    # Non-sensitive values the template needs that cannot be looked up at send time.
    context = models.JSONField(default=dict, blank=True)
    # A staff-written message (roster message), encrypted at rest.
    body = EncryptedTextField(_("message"), blank=True)
    # What went out, written when sent (encrypted: it may name her course).
    text = EncryptedTextField(_("text sent"), blank=True)
    template = models.ForeignKey(
        "notify.MessageTemplate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    discreet = models.BooleanField(_("discreet"), default=False)
    # One key per message: queuing the same message twice creates one row.
    idempotency_key = models.CharField(max_length=160, unique=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    # The worker's claim: who holds it and since when (a claim older than the lease is in
    # doubt: the worker died between the provider's answer and recording it).
    claim = models.CharField(max_length=36, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True, db_index=True)
    # Statuses arrive out of order: the highest rank seen wins (queued < sent < delivered).
    status_rank = models.PositiveSmallIntegerField(default=0)
    parts = models.PositiveSmallIntegerField(_("SMS parts"), default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "send_after"]),
            models.Index(fields=["participant", "created_at"]),
            models.Index(fields=["centre", "created_at"]),
            models.Index(fields=["channel", "status", "sent_at"]),
            models.Index(fields=["subject_type", "subject_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(participant__isnull=False, user__isnull=True)
                | models.Q(participant__isnull=True, user__isnull=False),
                name="delivery_has_one_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel} #{self.pk}"


class MessageTemplate(models.Model):
    """A message's words, per kind, variant and language; every edit is a new version and
    the newest is the one rendered at send time. Placeholders are `{name}` (see
    `notify.templates.PLACEHOLDERS`)."""

    class Variant(models.TextChoices):
        STANDARD = "standard", _("Standard")
        # For survivors and women who asked for discretion: never says what the centre is for.
        DISCREET = "discreet", _("Discreet")

    kind = models.CharField(_("kind"), max_length=24, choices=MessageKind.choices)
    variant = models.CharField(
        _("variant"), max_length=12, choices=Variant.choices, default=Variant.STANDARD
    )
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    version = models.PositiveIntegerField(_("version"), default=1)
    text = models.TextField(_("text"))
    subject = models.CharField(_("email subject"), max_length=120, blank=True)
    # The approved WhatsApp template this text corresponds to (Cloud API `template.name`).
    whatsapp_name = models.CharField(_("WhatsApp template name"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "variant", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "variant", "language", "version"],
                name="template_version_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.variant}/{self.language} v{self.version}"


class TelegramLink(models.Model):
    """A woman's Telegram chat, linked by a single-use deep link (`/start <token>`).

    Only the token's hash is stored; it expires after 15 minutes and works once. The chat
    becomes a safe channel only when she confirms in the chat (`confirmed_at`).
    """

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.CASCADE, related_name="telegram_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    chat_id = EncryptedTextField(blank=True)
    chat_digest = BlindIndexField(
        source="chat_id", purpose="telegram_chat", null=True, blank=True, db_index=True
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Telegram link")
        verbose_name_plural = _("Telegram links")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"telegram link #{self.pk}"


class StaffContact(models.Model):
    """How a staff member is reached for safety alerts (her own channel)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_contact"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    # A phone (+7…), a Telegram chat id or an e-mail address, by channel; encrypted.
    address = EncryptedTextField(_("address"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("staff contact")
        verbose_name_plural = _("staff contacts")

    def __str__(self) -> str:
        return f"{self.channel} → {self.user_id}"


class InboundMessage(models.Model):
    """A reply that reached a webhook (STOP, a Telegram /start), kept for the audit trail."""

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    participant = models.ForeignKey(
        "people.Participant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    channel = models.CharField(max_length=12, choices=Channel.choices)
    provider_message_id = models.CharField(max_length=128, blank=True)
    text = EncryptedTextField(blank=True)
    action = models.CharField(max_length=24, blank=True)  # "stop", "link", "ignored"
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="inbound_once_per_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} inbound #{self.pk}"
