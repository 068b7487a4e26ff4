"""What the public site records beside the programme's own rows.

An Application is the document a woman (or anyone with a phone) sent through the public form:
kept as typed, because on a repeat her own record is never changed by an anonymous visitor,
and the coordinator needs to see what was asked and by whom it claims to be.

A TopicProposal holds a topic proposed on the public site back from the public list until
staff have read it: a proposal that appeared at once would tell anyone typing a phone
whether that phone belongs to a member (and would publish whatever was typed).

A PendingVote is a phone typed to vote (or with a proposal), kept encrypted until
`mamapro programs tick` counts it for the woman it belongs to, or drops it: the request
itself never looks the phone up, so its answer cannot depend on whether she is a member.

A PublicAttempt is one POST to a public form, under a keyed digest of the address or the
phone it came with: the rate limit counts these rows, so every worker agrees.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamapro.centres.models import Centre
from mamapro.core.crypto import EncryptedTextField, encrypt
from mamapro.people.models import Circumstance, ContactChannel, Language, Participant
from mamapro.programs.models import Enrollment, Run, TopicRequest


class StatedKindsField(EncryptedTextField):
    """A list of circumstance kinds, stored encrypted as one comma-separated text."""

    _pyi_private_set_type: list[str] | tuple[str, ...] | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: list[str]  # type: ignore[assignment]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return self.to_python(super().from_db_value(value, expression, connection))

    def to_python(self, value: Any) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        return [kind for kind in str(value).split(",") if kind]

    def get_prep_value(self, value: Any) -> Any:
        # Not through TextField's (its to_python would turn the list into its repr).
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


class Application(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        Run, verbose_name=_("course"), on_delete=models.PROTECT, related_name="applications"
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        related_name="applications",
    )
    # Empty while a free place waits for her circumstance to be checked in person.
    enrollment = models.ForeignKey(
        Enrollment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seat_wanted = models.CharField(
        _("place asked for"), max_length=8, choices=Enrollment.SeatType.choices
    )
    # What she said, unverified. Sensitive: the domestic-violence answer can endanger her, so
    # it is encrypted at rest (nothing filters by it; the coordinator reads it per row).
    stated_circumstances = StatedKindsField(_("stated circumstances"), default=list, blank=True)
    kids_room = models.BooleanField(_("needs the kids' room"), default=False)
    children_count = models.PositiveSmallIntegerField(_("children"), default=0)
    children_ages = models.CharField(_("children's ages"), max_length=60, blank=True)

    # As typed. On a repeat these may differ from her record, which stays as it was.
    is_repeat = models.BooleanField(
        _("phone already known"),
        default=False,
        help_text=_("The phone matched a woman already registered; her record was not changed."),
    )
    given_name = models.CharField(_("given name"), max_length=80)
    family_name = models.CharField(_("family name"), max_length=80)
    language = models.CharField(_("preferred language"), max_length=2, choices=Language.choices)
    contact_channels = models.JSONField(_("safe channels"), default=list, blank=True)
    safe_hours_from = models.TimeField(_("safe to contact from"), null=True, blank=True)
    safe_hours_to = models.TimeField(_("safe to contact until"), null=True, blank=True)
    do_not_call = models.BooleanField(_("do not call"), default=False)
    consent_version = models.CharField(_("consent text version"), max_length=20)

    created_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["centre", "handled_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.run_id} ← {self.participant_id} ({self.created_at:%Y-%m-%d})"

    @property
    def typed_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()

    def stated_circumstance_labels(self) -> list[str]:
        known = dict(Circumstance.Kind.choices)
        return [str(known.get(kind, kind)) for kind in self.stated_circumstances or []]

    def contact_channel_labels(self) -> list[str]:
        known = dict(ContactChannel.choices)
        return [str(known.get(value, value)) for value in self.contact_channels or []]


class TopicProposal(models.Model):
    """A topic proposed on the public site; hidden from the public list until reviewed."""

    topic = models.OneToOneField(TopicRequest, on_delete=models.CASCADE, related_name="proposal")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published = models.BooleanField(_("shown on the public site"), default=False)

    class Meta:
        verbose_name = _("proposed topic")
        verbose_name_plural = _("proposed topics")

    def __str__(self) -> str:
        return f"{self.topic_id} ({'published' if self.published else 'held'})"


class PendingVote(models.Model):
    """A phone typed for a topic, counted (or dropped) by the tick; never shown to anyone."""

    topic = models.ForeignKey(TopicRequest, on_delete=models.CASCADE, related_name="+")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    phone = EncryptedTextField()
    # Sent with a proposal: a member's proposal also names her as its author.
    proposed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"pending vote for {self.topic_id}"


class PublicAttempt(models.Model):
    """One POST to a public form, counted by the rate limit (public/throttle.py)."""

    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["key", "at"])]

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.at:%Y-%m-%d %H:%M}"
