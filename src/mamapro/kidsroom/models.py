"""The kids' room: bookings tied to the sessions a mother attends, tutors' shifts, the
centre's ratio rules, check-in and check-out, alerts about restricted adults, incidents.

Capacity and ratios are never kept as counters: services/… recount them from the booking and
shift rows under the room's lock, like the seats of a run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamapro.centres.models import Centre, Room
from mamapro.core.crypto import EncryptedTextField
from mamapro.people.models import Child, ChildAdult
from mamapro.programs.models import Enrollment, Session

DEFAULT_CHILDREN_PER_TUTOR = 4
DEFAULT_HIGH_SUPPORT_PER_TUTOR = 2


class Rules(models.Model):
    """How many children one tutor may look after at a centre, by support level."""

    centre = models.OneToOneField(Centre, on_delete=models.CASCADE, related_name="kids_room_rules")
    children_per_tutor = models.PositiveSmallIntegerField(
        _("children per tutor (standard support)"),
        default=DEFAULT_CHILDREN_PER_TUTOR,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    high_support_per_tutor = models.PositiveSmallIntegerField(
        _("children per tutor (high support)"),
        default=DEFAULT_HIGH_SUPPORT_PER_TUTOR,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    # On the tutors' board beside a child who must not be given to someone: whom to call.
    coordinator_phone = models.CharField(
        _("phone for tutors to call"),
        max_length=12,
        blank=True,
        help_text=_("The coordinator's or the centre's number, shown to tutors in an emergency."),
    )

    class Meta:
        verbose_name = _("kids' room rules")
        verbose_name_plural = _("kids' room rules")

    def __str__(self) -> str:
        return f"1:{self.children_per_tutor} / 1:{self.high_support_per_tutor}"


class Shift(models.Model):
    """A tutor on duty in a kids' room from `starts_at` to `ends_at`."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.PROTECT)
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("tutor"), on_delete=models.PROTECT
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("tutor's shift")
        verbose_name_plural = _("tutors' shifts")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tutor} {timezone.localtime(self.starts_at):%d.%m %H:%M}"


class Booking(models.Model):
    """A child's place in the kids' room during one of her mother's sessions."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        WAITLISTED = "waitlisted", _("Waiting for a place")
        CANCELLED = "cancelled", _("Cancelled")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.PROTECT)
    # Either one of her course's sessions, or (a counselling appointment, say) a time of its
    # own: `starts_at`/`ends_at` are set only when there is no session.
    session = models.ForeignKey(
        Session,
        verbose_name=_("session"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="bookings"
    )
    enrollment = models.ForeignKey(
        Enrollment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    queued_at = models.DateTimeField(_("asked at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # Names typed at the door (encrypted at rest: it may be a restricted adult's).
    brought_by = EncryptedTextField(_("brought by"), max_length=160, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    collected_by = models.ForeignKey(
        ChildAdult,
        verbose_name=_("collected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("kids' room booking")
        verbose_name_plural = _("kids' room bookings")
        ordering = ["queued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "child"], name="one_booking_per_session"),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_in_at__isnull=False),
                name="checked_out_only_after_check_in",
            ),
            models.CheckConstraint(
                condition=(
                    Q(session__isnull=False, starts_at__isnull=True, ends_at__isnull=True)
                    | Q(session__isnull=True, starts_at__isnull=False, ends_at__gt=F("starts_at"))
                ),
                name="booking_has_a_session_or_a_time",
            ),
        ]
        indexes = [models.Index(fields=["room", "status"])]

    # Not stored: what the service found while writing, for its answer (what is missing for a
    # child put on the waiting list; the alert a check-in raised).
    shortage: Any = None
    alert: Any = None
    # Not stored either: what the board's card about her says to the user (views.Card).
    card: Any = None

    def __str__(self) -> str:
        return f"{self.child_id} @ {self.session_id} ({self.status})"

    @property
    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """When the child is in the room: her session's time, or the booking's own."""
        if self.session is not None:
            return self.session.starts_at, self.session.ends_at
        assert self.starts_at is not None
        assert self.ends_at is not None
        return self.starts_at, self.ends_at

    @property
    def in_room(self) -> bool:
        return self.checked_in_at is not None and self.checked_out_at is None


class Alert(models.Model):
    """Someone tried to hand a child to, or named, an adult who must never receive her."""

    class Kind(models.TextChoices):
        CHECK_OUT_BLOCKED = "check_out_blocked", _("Check-out to a restricted adult blocked")
        BROUGHT_BY_RESTRICTED = "brought_by_restricted", _("Brought by a restricted adult")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    adult = models.ForeignKey(
        ChildAdult, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    named = EncryptedTextField(_("name given"), max_length=160, blank=True)
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kids' room alert")
        verbose_name_plural = _("kids' room alerts")
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.child_id}"


class Incident(models.Model):
    class Kind(models.TextChoices):
        INJURY = "injury", _("Injury")
        ILLNESS = "illness", _("Felt unwell")
        BEHAVIOUR = "behaviour", _("Distress or behaviour")
        MEDICATION = "medication", _("Medication given")
        SEIZURE = "seizure", _("Seizure")
        ALLERGY = "allergy", _("Allergic reaction")
        SAFEGUARDING = "safeguarding", _("Safeguarding concern")
        OTHER = "other", _("Other")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="incidents"
    )
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # What happened to a child (often medical or a safeguarding concern): encrypted at rest.
    what_happened = EncryptedTextField(_("what happened"))
    action_taken = EncryptedTextField(_("action taken"))
    parent_informed = models.BooleanField(_("mother informed"), default=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.child_id}"
