"""Centres, their rooms, and who works where in which role."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mamapro.core.permissions import Role
from mamapro.core.regions import Region


class Centre(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    city = models.CharField(_("city"), max_length=80)
    region = models.CharField(_("region"), max_length=32, choices=Region.choices)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Almaty")
    address = models.CharField(_("address"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    class Kind(models.TextChoices):
        CLASSROOM = "classroom", _("Classroom")
        KIDS_ROOM = "kids_room", _("Kids' room")
        COUNSELLING = "counselling", _("Counselling room")

    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.PROTECT, related_name="rooms"
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    capacity = models.PositiveSmallIntegerField(_("capacity"))

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["centre", "name"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="room_name_unique_per_centre"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="room_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.centre})"


class Membership(models.Model):
    """A staff member's role at one centre; the director's membership has no centre."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    centre = models.ForeignKey(
        Centre,
        verbose_name=_("centre"),
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
        help_text=_("Empty for the director, whose role spans all centres."),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    clinical_lead = models.BooleanField(
        _("clinical lead"),
        default=False,
        help_text=_(
            "A psychologist who supervises the others: she may read their counselling notes "
            "at this centre."
        ),
    )

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "centre"], name="one_role_per_user_and_centre"),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(centre__isnull=True),
                name="one_network_role_per_user",
            ),
            # Only the director spans all centres; every other role belongs to one centre.
            models.CheckConstraint(
                condition=(Q(role=Role.DIRECTOR) & Q(centre__isnull=True))
                | (~Q(role=Role.DIRECTOR) & Q(centre__isnull=False)),
                name="director_spans_all_centres",
            ),
        ]

    def __str__(self) -> str:
        where = self.centre or _("all centres")
        return f"{self.user} — {self.get_role_display()} ({where})"
