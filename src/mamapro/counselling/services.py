"""Counselling appointments and notes: every change one transaction, audited.

A counselling room holds one appointment at a time, and a psychologist sees one client at a
time: booking locks the room (or, without a room, the psychologist's own membership row),
recounts the overlapping appointments from the rows, and writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import nullcontext
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.centres.models import Membership, Room
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry, User
from mamapro.counselling.models import Appointment, Note
from mamapro.kidsroom import services as kidsroom
from mamapro.kidsroom.models import Booking
from mamapro.people.models import Child, Participant

Status = Appointment.Status
LOCKING = True


def between_count_and_write() -> None:
    """Where a race would strike; the concurrency test widens it."""


def _aware(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return timezone.make_aware(value, tz) if timezone.is_naive(value) else value


def book(
    psychologist: User,
    participant: Participant,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    room: Room | None = None,
    kids_room_children: Iterable[Child] = (),
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book her appointment, and (if asked) her children's places in the kids' room for the
    time: all or nothing — a full kids' room refuses the booking with what is missing."""
    now = now or timezone.now()
    tz = ZoneInfo(participant.centre.timezone)
    starts_at, ends_at = _aware(starts_at, tz), _aware(ends_at, tz)
    errors: dict[str, str] = {}
    if perms.principal(psychologist).role_in(participant.centre_id) != perms.Role.PSYCHOLOGIST:
        errors["psychologist"] = _("This person is not a psychologist at her centre.")
    if ends_at <= starts_at:
        errors["ends_at"] = _("The appointment must end after it starts.")
    elif ends_at - starts_at > dt.timedelta(hours=4):
        errors["ends_at"] = _("An appointment lasts at most four hours.")
    if starts_at < now - dt.timedelta(days=1):
        errors["starts_at"] = _("An appointment cannot be booked in the past.")
    if room is not None and (
        room.centre_id != participant.centre_id or room.kind != Room.Kind.COUNSELLING
    ):
        errors["room"] = _("Choose a counselling room at her centre.")
    if errors:
        raise ValidationError(errors)
    # Without LOCKING (the concurrency test only) there is no transaction around the count.
    with transaction.atomic() if LOCKING else nullcontext():
        if LOCKING:
            # The room and the psychologist's membership: whatever could be double-booked.
            if room is not None:
                Room.objects.select_for_update().get(pk=room.pk)
            Membership.objects.select_for_update().filter(
                user=psychologist, centre_id=participant.centre_id
            ).first()
        overlapping = Appointment.objects.filter(
            starts_at__lt=ends_at, ends_at__gt=starts_at, status=Status.SCHEDULED
        )
        if overlapping.filter(psychologist=psychologist).exists():
            raise Conflict(_("The psychologist already has an appointment at that time."))
        if room is not None and overlapping.filter(room=room).exists():
            raise Conflict(_("The room is taken at that time; choose another room or time."))
        between_count_and_write()
        with transaction.atomic(savepoint=False):
            appointment = Appointment.objects.create(
                centre_id=participant.centre_id,
                psychologist=psychologist,
                participant=participant,
                room=room,
                starts_at=starts_at,
                ends_at=ends_at,
            )
            audit.record(AuditEntry.Action.CREATE, appointment, actor=actor)
            children = list(kids_room_children)
            if any(child.parent_id != participant.pk for child in children):
                raise ValidationError({"kids_room": _("Only her own children can be booked.")})
            for child in children:
                appointment.kids_room_bookings.add(
                    kidsroom.book_slot(child, starts_at, ends_at, actor=actor, now=now)
                )
    return appointment


def set_status(appointment: Appointment, status: str, *, actor: User | None = None) -> Appointment:
    if status not in (Status.HELD, Status.MISSED, Status.CANCELLED):
        raise ValidationError({"status": _("Choose held, missed or cancelled.")})
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status == Status.CANCELLED:
            raise Conflict(_("This appointment was cancelled."))
        if status != Status.CANCELLED and appointment.starts_at > timezone.now():
            raise Conflict(_("It has not happened yet; it can only be cancelled."))
        appointment.status = status
        appointment.save(update_fields=["status"])
        if status == Status.CANCELLED:
            # Her children's places go back to the room.
            for booking in appointment.kids_room_bookings.exclude(status=Booking.Status.CANCELLED):
                if booking.checked_in_at is None:
                    kidsroom.cancel(booking, actor=actor)
        audit.record(
            AuditEntry.Action.UPDATE,
            appointment,
            fields=["status"],
            details={"status": status},
            actor=actor,
        )
    return appointment


def write_note(appointment: Appointment, author: User, text: str) -> Note:
    """Only the appointment's own psychologist writes its notes."""
    text = (text or "").strip()
    if appointment.psychologist_id != author.pk:
        raise Conflict(_("Only the psychologist of this appointment writes its notes."))
    if not text:
        raise ValidationError({"text": _("The note is empty.")})
    if len(text) > 20_000:
        raise ValidationError({"text": _("The note is too long (at most 20,000 characters).")})
    with transaction.atomic():
        note = Note.objects.create(
            appointment=appointment, centre_id=appointment.centre_id, author=author, text=text
        )
        audit.record(AuditEntry.Action.CREATE, note, fields=["text"], actor=author)
    return note


def edit_note(note: Note, author: User, text: str) -> Note:
    text = (text or "").strip()
    if note.author_id != author.pk:
        raise Conflict(_("Only the author may change a note."))
    if not text:
        raise ValidationError({"text": _("The note is empty.")})
    with transaction.atomic():
        note = Note.objects.select_for_update().get(pk=note.pk)
        note.text = text
        note.save(update_fields=["text", "updated_at"])
        audit.record(AuditEntry.Action.UPDATE, note, fields=["text"], actor=author)
    return note
