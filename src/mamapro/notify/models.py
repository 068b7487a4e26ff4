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
