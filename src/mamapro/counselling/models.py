"""Psychologists' appointments and their confidential notes.

Who sees what (counselling/access.py): the psychologist of an appointment and a clinical lead
of the centre see who it is with and read the notes; everyone else — coordinators and the
director included — sees only that the slot is taken. Notes are encrypted at rest, and
reached from nowhere but this app's own views.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamapro.centres.models import Centre, Room
from mamapro.core.crypto import EncryptedTextField
from mamapro.kidsroom.models import Booking
from mamapro.people.models import Participant


class Appointment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        MISSED = "missed", _("She did not come")
        CANCELLED = "cancelled", _("Cancelled")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("psychologist"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    participant = models.ForeignKey(
        Participant, verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    room = models.ForeignKey(
        Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.SET_NULL
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Her children's places in the kids' room while she is with the psychologist.
    kids_room_bookings = models.ManyToManyField(Booking, blank=True, related_name="+")

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_it_starts"
            )
        ]
        indexes = [models.Index(fields=["centre", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.psychologist_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Note(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="notes")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("counselling note")
        verbose_name_plural = _("counselling notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk}"
