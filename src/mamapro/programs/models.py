"""Courses, their runs at a centre, sessions, enrollments with paid and free seats.

The seat invariant lives in services/enrollment.py: confirmed seats plus live offers of a
seat type never exceed that type's seats. Nothing here keeps a running counter: every count
is taken from the enrollment rows themselves, under the run's lock.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamapro.centres.models import Centre, Room
from mamapro.people.models import Child, Participant


class Course(models.Model):
    class Category(models.TextChoices):
        ENTREPRENEURSHIP = "entrepreneurship", _("Entrepreneurship")
        COMPUTER_LITERACY = "computer_literacy", _("Computer literacy")
        COPYWRITING = "copywriting", _("Copywriting")
        SELF_DEVELOPMENT = "self_development", _("Self-development")
        PARENTING = "parenting", _("Parenting")
        OTHER = "other", _("Other")

    class Language(models.TextChoices):
        KAZAKH = "kk", _("Kazakh")
        RUSSIAN = "ru", _("Russian")
        ENGLISH = "en", _("English")
        BILINGUAL = "kk_ru", _("Kazakh and Russian")

    title = models.CharField(_("title"), max_length=160)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language of teaching"), max_length=8, choices=Language.choices, default="ru"
    )
    is_workshop = models.BooleanField(
        _("one-day workshop"),
        default=False,
        help_text=_("The free weekly workshop with an invited professional: one session."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Run(models.Model):
    """One cohort of a course at one centre."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Open for enrollment")
        CANCELLED = "cancelled", _("Cancelled")
        CLOSED = "closed", _("Finished")

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="runs"
    )
    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.PROTECT, related_name="runs"
    )
    title = models.CharField(
        _("title"), max_length=160, blank=True, help_text=_("Empty: the course's title.")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs_taught",
    )
    speaker = models.CharField(
        _("invited speaker"), max_length=160, blank=True, help_text=_("For a workshop.")
    )
    price = models.DecimalField(
        _("price of a paid seat"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="KZT")
    paid_seats = models.PositiveSmallIntegerField(_("paid seats"), default=10)
    free_seats = models.PositiveSmallIntegerField(_("free seats"), default=10)
    sponsor = models.CharField(_("sponsor of the free seats"), max_length=160, blank=True)
    kids_room = models.BooleanField(_("kids' room offered"), default=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PUBLISHED
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("hours to accept an offered seat"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
    )
    release_days_before = models.PositiveSmallIntegerField(
        _("days before start to release unsold paid seats"),
        null=True,
        blank=True,
        default=7,
        help_text=_("Empty: never release them."),
    )
    completion_percent = models.PositiveSmallIntegerField(
        _("attendance needed to complete (%)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    no_show_releases_seat = models.BooleanField(
        _("a no-show at the first session gives her seat to the waitlist"), default=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="run_ends_after_it_starts"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="run_price_not_negative"),
        ]
        indexes = [models.Index(fields=["centre", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.display_title} ({self.starts_on:%d.%m.%Y})"

    @property
    def display_title(self) -> str:
        return self.title or self.course.title

    def seats(self, seat_type: str) -> int:
        return self.paid_seats if seat_type == Enrollment.SeatType.PAID else self.free_seats


class Session(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="sessions")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    room = models.ForeignKey(
        Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.SET_NULL
    )
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.run.display_title} {timezone.localtime(self.starts_at):%d.%m %H:%M}"


class Enrollment(models.Model):
    class SeatType(models.TextChoices):
        PAID = "paid", _("Paid seat")
        FREE = "free", _("Free seat")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waiting list")
        OFFERED = "offered", _("Seat offered")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        COMPLETED = "completed", _("Completed")
        DROPPED = "dropped", _("Dropped out")

    class EndReason(models.TextChoices):
        WITHDREW = "withdrew", _("She withdrew")
        DECLINED_OFFER = "declined_offer", _("She declined the offered seat")
        OFFER_EXPIRED = "offer_expired", _("The offer expired unanswered")
        NO_SHOW = "no_show", _("Did not come to the first session")
        NOT_COMPLETED = "not_completed", _("Attendance below the completion threshold")

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff")
        PUBLIC = "public", _("Public application")
        API = "api", _("API")

    # Statuses that hold a seat, and that block a second enrollment in the same run.
    HOLDS_SEAT = (Status.CONFIRMED, Status.OFFERED)
    ACTIVE = (Status.CONFIRMED, Status.OFFERED, Status.WAITLISTED, Status.COMPLETED)

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="enrollments")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    seat_type = models.CharField(_("seat"), max_length=8, choices=SeatType.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    end_reason = models.CharField(
        _("why it ended"), max_length=16, choices=EndReason.choices, blank=True
    )
    queued_at = models.DateTimeField(_("in line since"), default=timezone.now)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    kids_room_requested = models.BooleanField(_("asks for the kids' room"), default=False)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default="staff")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["run", "seat_type", "queued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "participant"], name="one_enrollment_per_run"),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                name="offer_has_an_expiry",
            ),
        ]
        indexes = [models.Index(fields=["run", "seat_type", "status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.participant} — {self.run} ({self.status})"


class KidsRoomRequest(models.Model):
    """She asked for the kids' room for this child during the run (bookings: kids' room app)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="kids_room_requests"
    )
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "child"], name="kids_room_request_once")
        ]

    def __str__(self) -> str:
        return f"{self.child_id} @ {self.enrollment_id}"


class Fee(models.Model):
    class Status(models.TextChoices):
        DUE = "due", _("Due")
        PAID = "paid", _("Paid")
        WAIVED = "waived", _("Waived")

    enrollment = models.OneToOneField(Enrollment, on_delete=models.CASCADE, related_name="fee")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="KZT")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="due")
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status})"


class SeatChange(models.Model):
    """Why a run's seat counts changed: edited, unsold paid seats released, or sponsored."""

    class Kind(models.TextChoices):
        EDIT = "edit", _("Seats changed")
        RELEASE = "release", _("Unsold paid seats released as free seats")
        SPONSOR = "sponsor", _("Extra free seats funded by a sponsor")

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="seat_changes")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    paid_delta = models.SmallIntegerField(default=0)
    free_delta = models.SmallIntegerField(default=0)
    sponsor = models.CharField(max_length=160, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.paid_delta:+d}/{self.free_delta:+d}"


class Attendance(models.Model):
    class Mark(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        EXCUSED = "excused", _("Excused")
        ABSENT = "absent", _("Absent")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="attendance")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("attendance"), max_length=8, choices=Mark.choices)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "enrollment"], name="one_mark_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}@{self.session_id}: {self.status}"


class FollowUpTask(models.Model):
    """Something the coordinator should do about a woman at risk of dropping out."""

    class Reason(models.TextChoices):
        TWO_ABSENCES = "two_absences", _("Two unexcused absences in a row")
        NO_SHOW = "no_show", _("Did not come to the first session")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="follow_ups")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["done_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "reason"],
                condition=Q(done_at__isnull=True),
                name="one_open_follow_up_per_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.enrollment_id})"


class Certificate(models.Model):
    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="certificate"
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("verification code"), max_length=16, unique=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    language = models.CharField(_("language"), max_length=2)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.code


class TopicRequest(models.Model):
    """A workshop topic members asked for; staff see them ordered by votes."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open for votes")
        SCHEDULED = "scheduled", _("Workshop scheduled")
        CLOSED = "closed", _("Closed")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="topic_requests")
    title = models.CharField(_("topic"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    proposed_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    workshop = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="topic_requests"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("workshop topic")
        verbose_name_plural = _("workshop topics")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class TopicVote(models.Model):
    topic = models.ForeignKey(TopicRequest, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "participant"], name="one_vote_per_topic")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} → {self.topic_id}"
