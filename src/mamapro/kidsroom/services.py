"""Kids' room state changes: bookings, shifts, check-in, check-out, alerts, incidents.

Every change is one transaction. Whatever changes who is in a room when (a booking, its
cancellation, a tutor's shift) goes through `locked_room`: lock the room, recount children and
tutors from the rows for the whole time the session covers, write. The rule per moment:
children ≤ the room's capacity, and tutors ≥ standard / children_per_tutor + high support /
high_support_per_tutor (rounded up), with the centre's `Rules` (default 1:4 and 1:2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.centres import clock
from mamapro.centres.models import Centre, Room
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.errors import Conflict, Refused
from mamapro.core.models import AuditEntry, User
from mamapro.core.text import clean_name, fold, without_invisible
from mamapro.kidsroom import locking, names, signals
from mamapro.kidsroom.locking import locked_room
from mamapro.kidsroom.models import Alert, Booking, Incident, Rules, Shift
from mamapro.people.models import Child, ChildAdult
from mamapro.people.validators import normalise_phone
from mamapro.programs.models import Enrollment, KidsRoomRequest, Session

BOOKED = Booking.Status.BOOKED
WAITLISTED = Booking.Status.WAITLISTED
CANCELLED = Booking.Status.CANCELLED
HIGH = Child.SupportLevel.HIGH
# Mothers bring children a little early: check-in opens this long before the session.
CHECK_IN_OPENS = dt.timedelta(hours=1)
# Shifts outside these years are typing errors (and year 1 or 9999 overflows the arithmetic).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2099, 12, 31, tzinfo=dt.UTC)


# --- The rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    children_per_tutor: int
    high_support_per_tutor: int

    def tutors_needed(self, standard: int, high: int) -> int:
        """ceil(standard / per_tutor + high / high_per_tutor), in whole numbers."""
        per, per_high = self.children_per_tutor, self.high_support_per_tutor
        return -(-(standard * per_high + high * per) // (per * per_high))


def ratio_for(centre_id: int) -> Ratio:
    rules = Rules.objects.filter(centre_id=centre_id).first()
    if rules is None:
        rules = Rules()
    return Ratio(rules.children_per_tutor, rules.high_support_per_tutor)


def kids_room_for(centre_id: int) -> Room | None:
    rooms = Room.objects.filter(centre_id=centre_id, kind=Room.Kind.KIDS_ROOM)
    return rooms.select_related("centre").order_by("id").first()


def _hhmm(moment: dt.datetime, centre: Centre | ZoneInfo | None) -> str:
    """The time on the centre's clock, as a message tells it."""
    return clock.local(moment, centre).strftime("%H:%M")


@dataclass(frozen=True)
class Shortage:
    """What a room lacks, and when: more children than places, or too few tutors."""

    kind: str  # "capacity" or "tutors"
    starts_at: dt.datetime
    ends_at: dt.datetime
    missing: int
    capacity: int = 0
    zone: ZoneInfo | None = None  # the room's centre's, to tell the times by

    def message(self) -> str:
        window = {"start": _hhmm(self.starts_at, self.zone), "end": _hhmm(self.ends_at, self.zone)}
        if self.kind == "capacity":
            return _(
                "The kids' room is full %(start)s–%(end)s: it takes %(capacity)d children."
            ) % {**window, "capacity": self.capacity}
        if self.missing == 1:
            return _("One more tutor is needed %(start)s–%(end)s.") % window
        # Said without a plural form, so that every language reads right for any number.
        return _("Tutors missing %(start)s–%(end)s: %(n)d.") % {**window, "n": self.missing}


@dataclass(frozen=True)
class _Span:
    starts_at: dt.datetime
    ends_at: dt.datetime

    def covers(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.starts_at <= start and end <= self.ends_at


def overlapping(starts_at: dt.datetime, ends_at: dt.datetime) -> Q:
    """Bookings whose time — their session's, or their own — overlaps [starts_at, ends_at)."""
    return Q(session__starts_at__lt=ends_at, session__ends_at__gt=starts_at) | Q(
        session__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )


def find_shortage(
    room: Room,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    ratio: Ratio,
    *,
    adding: Sequence[str] = (),
    without_shift: int | None = None,
) -> Shortage | None:
    """Would the room break its capacity or ratio anywhere in [starts_at, ends_at) with the
    children of support levels `adding` there for the whole time? Counted from the rows."""
    booked: list[tuple[dt.datetime, dt.datetime, str]] = []
    for session_start, session_end, own_start, own_end, level in Booking.objects.filter(
        overlapping(starts_at, ends_at), room=room, status=BOOKED
    ).values_list(
        "session__starts_at", "session__ends_at", "starts_at", "ends_at", "child__support_level"
    ):
        begins, ends = session_start or own_start, session_end or own_end
        assert begins is not None
        assert ends is not None
        booked.append((begins, ends, level))
    shifts = Shift.objects.filter(room=room, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if without_shift is not None:
        shifts = shifts.exclude(pk=without_shift)
    on_duty = [
        (_Span(s, e), tutor)
        for s, e, tutor in shifts.values_list("starts_at", "ends_at", "tutor_id")
    ]
    points = {starts_at, ends_at}
    for s, e, _level in booked:
        points.update(p for p in (s, e) if starts_at < p < ends_at)
    for span, _tutor in on_duty:
        points.update(p for p in (span.starts_at, span.ends_at) if starts_at < p < ends_at)
    edges = sorted(points)
    found: list[tuple[str, dt.datetime, dt.datetime, int]] = []
    for start, end in pairwise(edges):
        here = [level for s, e, level in booked if s <= start and end <= e] + list(adding)
        high = sum(1 for level in here if level == HIGH)
        tutors = len({tutor for span, tutor in on_duty if span.covers(start, end)})
        if len(here) > room.capacity:
            found.append(("capacity", start, end, len(here) - room.capacity))
        else:
            missing = ratio.tutors_needed(len(here) - high, high) - tutors
            if missing > 0:
                found.append(("tutors", start, end, missing))
    if not found:
        return None
    # Report the first window without a break, with the most that is missing in it.
    kind, first_start, first_end, missing = found[0]
    for other_kind, start, end, n in found[1:]:
        if other_kind != kind or start != first_end:
            break
        first_end, missing = end, max(missing, n)
    return Shortage(
        kind, first_start, first_end, missing, room.capacity, clock.centre_zone(room.centre)
    )


# --- Bookings -------------------------------------------------------------------------------


def _record(action: str, booking: Booking, actor: User | None, **details: object) -> None:
    audit.record(
        action,
        booking,
        details={
            "child": booking.child_id,
            "session": booking.session_id,
            "status": booking.status,
            **details,
        },
        actor=actor,
    )


def _mothers_enrollment(session: Session, child: Child) -> Enrollment:
    enrollment = Enrollment.objects.filter(
        run_id=session.run_id,
        participant_id=child.parent_id,
        status=Enrollment.Status.CONFIRMED,
    ).first()
    if enrollment is None:
        raise ValidationError(
            {
                "session": _(
                    "Her mother does not attend this session (she has no confirmed seat on "
                    "its course), so the child cannot be booked for it."
                )
            }
        )
    return enrollment


def _check_bookable(session: Session, child: Child, now: dt.datetime) -> Room:
    if child.centre_id != session.centre_id:
        raise ValidationError({"child": _("This child is registered at another centre.")})
    if session.cancelled:
        raise Conflict(_("This session is cancelled."))
    if session.ends_at <= now:
        raise Conflict(_("This session is over."))
    if not session.run.kids_room:
        raise Conflict(_("This course run does not offer the kids' room."))
    room = kids_room_for(session.centre_id)
    if room is None:
        raise Conflict(_("This centre has no kids' room."))
    return room


def book(
    session: Session,
    child: Child,
    *,
    actor: User | None = None,
    waitlist: bool = False,
    now: dt.datetime | None = None,
) -> Booking:
    """Book the child for the session, or (with `waitlist`) put her on the room's waiting
    list when a place or a tutor is missing; without `waitlist` that is a Conflict saying
    what is missing."""
    now = now or timezone.now()
    session = Session.objects.select_related("run").get(pk=session.pk)
    child = Child.objects.get(pk=child.pk)
    room = _check_bookable(session, child, now)
    enrollment = _mothers_enrollment(session, child)
    ratio = ratio_for(session.centre_id)
    with locked_room(room.pk) as room:
        return _book_locked(room, session, child, enrollment, ratio, actor, waitlist, now)


def _book_locked(
    room: Room,
    session: Session,
    child: Child,
    enrollment: Enrollment | None,
    ratio: Ratio,
    actor: User | None,
    waitlist: bool,
    now: dt.datetime,
) -> Booking:
    existing = Booking.objects.filter(session=session, child=child).first()
    if existing is not None and existing.status != CANCELLED:
        if existing.status == BOOKED:
            raise Conflict(_("This child is already booked for this session."))
        raise Conflict(_("This child is already waiting for a place in this session."))
    shortage = find_shortage(
        room, session.starts_at, session.ends_at, ratio, adding=[child.support_level]
    )
    locking.between_count_and_write()
    if shortage is not None and not waitlist:
        raise Conflict(shortage.message())
    with transaction.atomic(savepoint=False):
        booking = existing or Booking(session=session, child=child, centre_id=session.centre_id)
        booking.room = room
        booking.enrollment = enrollment
        booking.status = WAITLISTED if shortage is not None else BOOKED
        booking.queued_at = now
        booking.cancelled_at = None
        booking.created_by = actor
        booking.save()
        _record(AuditEntry.Action.CREATE, booking, actor, event="booked")
    booking.shortage = shortage
    return booking


def book_slot(
    child: Child,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """A place for the child at a time of its own (her mother's counselling appointment):
    booked if places and tutors allow, otherwise refused saying what is missing."""
    now = now or timezone.now()
    if ends_at <= now:
        raise Conflict(_("This session is over."))
    room = kids_room_for(child.centre_id)
    if room is None:
        raise Conflict(_("This centre has no kids' room."))
    ratio = ratio_for(child.centre_id)
    with locked_room(room.pk) as room:
        if Booking.objects.filter(
            overlapping(starts_at, ends_at), child=child, status__in=(BOOKED, WAITLISTED)
        ).exists():
            raise Conflict(_("This child is already booked for this session."))
        shortage = find_shortage(room, starts_at, ends_at, ratio, adding=[child.support_level])
        locking.between_count_and_write()
        if shortage is not None:
            raise Conflict(shortage.message())
        with transaction.atomic(savepoint=False):
            booking = Booking.objects.create(
                centre_id=child.centre_id,
                room=room,
                child=child,
                starts_at=starts_at,
                ends_at=ends_at,
                status=BOOKED,
                queued_at=now,
                created_by=actor,
            )
            _record(AuditEntry.Action.CREATE, booking, actor, event="booked_slot")
    return booking


def book_for_enrollment(enrollment: Enrollment, *, now: dt.datetime | None = None) -> list[Booking]:
    """Her seat is confirmed: book each child she asked for into every session still to come
    (or onto the room's waiting list where a place or a tutor is missing)."""
    now = now or timezone.now()
    run = enrollment.run
    if not run.kids_room:
        return []
    room = kids_room_for(run.centre_id)
    if room is None:
        return []
    children = list(
        Child.objects.filter(
            pk__in=KidsRoomRequest.objects.filter(enrollment=enrollment).values("child_id")
        )
    )
    # Never a session already over, even when the seat is recorded as of an earlier moment.
    sessions = list(
        Session.objects.filter(
            run=run, cancelled=False, ends_at__gt=max(now, timezone.now())
        ).select_related("run")
    )
    if not children or not sessions:
        return []
    ratio = ratio_for(run.centre_id)
    made = []
    with locked_room(room.pk) as room:
        for session in sessions:
            for child in children:
                if (
                    Booking.objects.filter(session=session, child=child)
                    .exclude(status=CANCELLED)
                    .exists()
                ):
                    continue
                made.append(_book_locked(room, session, child, enrollment, ratio, None, True, now))
    return made


def cancel(
    booking: Booking, *, actor: User | None = None, now: dt.datetime | None = None
) -> Booking:
    """The mother (through the coordinator) drops a child from a session; the place goes to
    the first child waiting for it."""
    now = now or timezone.now()
    with locked_room(booking.room_id) as room:
        booking = Booking.objects.select_related("session").get(pk=booking.pk)
        if booking.status == CANCELLED:
            raise Conflict(_("This booking is already cancelled."))
        if booking.checked_in_at is not None:
            raise Conflict(_("The child has already been checked in; check her out instead."))
        with transaction.atomic(savepoint=False):
            was_booked = booking.status == BOOKED
            booking.status = CANCELLED
            booking.cancelled_at = now
            booking.save(update_fields=["status", "cancelled_at"])
            _record(AuditEntry.Action.UPDATE, booking, actor, event="cancelled")
            if was_booked:
                _promote(room, *booking.window, now)
    return booking


def cancel_child_from_run(
    booking: Booking, *, actor: User | None = None, now: dt.datetime | None = None
) -> int:
    """She no longer needs the room for this child on this course: every session still to
    come is freed (a session under way stays as it is)."""
    now = now or timezone.now()
    if booking.session is None:
        cancel(booking, actor=actor, now=now)
        return 1
    bookings = list(
        Booking.objects.filter(
            child_id=booking.child_id,
            session__run_id=booking.session.run_id,
            session__starts_at__gt=now,
        )
        .exclude(status=CANCELLED)
        .select_related("session")
    )
    return _cancel_many(bookings, actor, now, reason="child_dropped")


def cancel_for_enrollment(enrollment: Enrollment, *, now: dt.datetime | None = None) -> int:
    """Her seat is gone: her children's places in sessions still to come are freed."""
    now = now or timezone.now()
    bookings = list(
        Booking.objects.filter(enrollment=enrollment, session__starts_at__gt=now)
        .exclude(status=CANCELLED)
        .select_related("session")
    )
    return _cancel_many(bookings, None, now, reason="seat_ended")


def _cancel_many(
    bookings: list[Booking], actor: User | None, now: dt.datetime, *, reason: str
) -> int:
    if not bookings:
        return 0
    with locked_room(bookings[0].room_id) as room, transaction.atomic(savepoint=False):
        for booking in bookings:
            was_booked = booking.status == BOOKED
            booking.status = CANCELLED
            booking.cancelled_at = now
            booking.save(update_fields=["status", "cancelled_at"])
            _record(AuditEntry.Action.UPDATE, booking, actor, event="cancelled", reason=reason)
            if was_booked:
                _promote(room, *booking.window, now)
    return len(bookings)


def _promote(room: Room, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime) -> int:
    """Under the room's lock: children waiting for sessions in this window get a place, in
    the order they asked, as far as places and tutors allow."""
    waiting = list(
        Booking.objects.filter(
            room=room,
            status=WAITLISTED,
            session__starts_at__lt=ends_at,
            session__ends_at__gt=max(starts_at, now),
            session__cancelled=False,
        )
        .select_related("session", "child")
        .order_by("queued_at", "id")
    )
    if not waiting:
        return 0
    ratio = ratio_for(room.centre_id)
    promoted = 0
    for booking in waiting:
        if (
            find_shortage(
                room,
                *booking.window,
                ratio,
                adding=[booking.child.support_level],
            )
            is None
        ):
            booking.status = BOOKED
            booking.save(update_fields=["status"])
            _record(AuditEntry.Action.UPDATE, booking, None, event="place_found")
            promoted += 1
    return promoted


# --- The centre's ratio ---------------------------------------------------------------------


def set_rules(
    centre_id: int,
    *,
    children_per_tutor: int,
    high_support_per_tutor: int,
    coordinator_phone: str | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Rules:
    """Change the centre's ratio, unless children already booked would then lack care (and,
    when given, the phone tutors call: normalised, '' to clear it)."""
    now = now or timezone.now()
    rules = Rules.objects.filter(centre_id=centre_id).first() or Rules(centre_id=centre_id)
    rules.children_per_tutor = children_per_tutor
    rules.high_support_per_tutor = high_support_per_tutor
    if coordinator_phone is not None:
        try:
            rules.coordinator_phone = (
                normalise_phone(coordinator_phone) if coordinator_phone.strip() else ""
            )
        except ValidationError as exc:
            raise ValidationError({"coordinator_phone": exc.messages}) from None
    rules.full_clean(exclude=["centre"])
    ratio = Ratio(children_per_tutor, high_support_per_tutor)
    room = kids_room_for(centre_id)
    if room is None:
        with transaction.atomic():
            rules.save()
            audit.record(AuditEntry.Action.UPDATE, rules, fields=["ratio"], actor=actor)
        return rules
    with locked_room(room.pk) as room:
        # Every time children are booked from now on: their sessions and their own slots.
        windows = sorted(
            {
                booking.window
                for booking in Booking.objects.filter(
                    overlapping(now, now + dt.timedelta(days=3660)), room=room, status=BOOKED
                ).select_related("session")
            }
        )
        for window_start, window_end in windows:
            shortage = find_shortage(room, window_start, window_end, ratio)
            if shortage is not None:
                when = clock.local(window_start, room.centre).strftime("%d.%m")
                raise ValidationError(
                    {
                        "children_per_tutor": _(
                            "With this ratio the children already booked on %(day)s would "
                            "lack care: %(missing)s"
                        )
                        % {"day": when, "missing": shortage.message()}
                    }
                )
        with transaction.atomic(savepoint=False):
            rules.save()
            audit.record(
                AuditEntry.Action.UPDATE,
                rules,
                fields=["children_per_tutor", "high_support_per_tutor", "coordinator_phone"],
                actor=actor,
            )
            # A kinder ratio may give waiting children their places.
            _promote(room, now, now + dt.timedelta(days=366), now)
    return rules


# --- Shifts ---------------------------------------------------------------------------------


def add_shift(
    room: Room,
    tutor: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Shift:
    now = now or timezone.now()
    # A time without an offset is the centre's own time.
    tz = clock.centre_zone(room.centre)
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at, tz)
    if timezone.is_naive(ends_at):
        ends_at = timezone.make_aware(ends_at, tz)
    errors: dict[str, str] = {}
    if room.kind != Room.Kind.KIDS_ROOM:
        errors["room"] = _("This room is not a kids' room.")
    if perms.principal(tutor).role_in(room.centre_id) is None:
        errors["tutor"] = _("This person does not work at this centre.")
    if ends_at <= starts_at:
        errors["ends_at"] = _("The shift must end after it starts.")
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not EARLIEST <= moment <= LATEST:
            errors[name] = _("Give a time between the years %(first)s and %(last)s.") % {
                "first": EARLIEST.year,
                "last": LATEST.year,
            }
    if errors:
        raise ValidationError(errors)
    with locked_room(room.pk) as room, transaction.atomic(savepoint=False):
        shift = Shift.objects.create(
            centre_id=room.centre_id, room=room, tutor=tutor, starts_at=starts_at, ends_at=ends_at
        )
        audit.record(AuditEntry.Action.CREATE, shift, details={"tutor": tutor.pk}, actor=actor)
        _promote(room, starts_at, ends_at, now)
    return shift


def remove_shift(shift: Shift, *, actor: User | None = None) -> None:
    """A tutor's shift goes only if the children booked for that time stay within ratio."""
    with locked_room(shift.room_id) as room:
        shift = Shift.objects.get(pk=shift.pk)
        shortage = find_shortage(
            room, shift.starts_at, shift.ends_at, ratio_for(room.centre_id), without_shift=shift.pk
        )
        if shortage is not None:
            raise Conflict(
                _("Without this shift the children booked would lack care: %(missing)s")
                % {"missing": shortage.message()}
            )
        with transaction.atomic(savepoint=False):
            audit.record(
                AuditEntry.Action.DELETE, shift, details={"tutor": shift.tutor_id}, actor=actor
            )
            shift.delete()


# --- Check-in and check-out -----------------------------------------------------------------


def _booking_for(session: Session | None, child: Child, booking_id: int | None) -> Booking:
    """Her booking for the session, or the booking itself (a slot of its own), locked."""
    qs = Booking.objects.select_for_update(of=("self",)).select_related("session", "collected_by")
    if booking_id is not None:
        booking = qs.filter(pk=booking_id, child=child).first()
    else:
        booking = qs.filter(session=session, child=child).first()
    if booking is None or booking.status == CANCELLED:
        raise Conflict(_("This child is not booked for this session."))
    if booking.status == WAITLISTED:
        raise Conflict(
            _("This child is still waiting for a place in this session; there is none free.")
        )
    return booking


def _matching_adult(child: Child, name: str) -> ChildAdult | None:
    """The child's adult named `name`. A restricted adult is looked for first and matches
    loosely (kidsroom.names.close_to: any order, any spelling of Kazakh letters, part of his
    name, one letter off); only when none comes close, an authorised adult of exactly that
    name. So a restricted adult always wins, whatever order the rows come in."""
    if not _words_in(name):
        return None
    adults = list(ChildAdult.objects.filter(child=child).order_by("id"))
    for adult in adults:
        if not adult.authorised and names.close_to(name, adult.name):
            return adult
    for adult in adults:
        if adult.authorised and names.same_name(name, adult.name):
            return adult
    return None


def _same_named_restricted(child: Child, chosen: ChildAdult) -> ChildAdult | None:
    for other in ChildAdult.objects.filter(child=child, authorised=False).order_by("id"):
        if names.same_name(chosen.name, other.name):
            return other
    return None


def _words_in(name: str) -> bool:
    return bool(fold(" ".join((name or "").split())))


def _raise_alert(
    kind: str,
    child: Child,
    adult: ChildAdult | None,
    named: str,
    booking: Booking | None,
    actor: User | None,
) -> Alert:
    alert = Alert.objects.create(
        centre_id=child.centre_id,
        kind=kind,
        child=child,
        adult=adult,
        named=named[:160],
        booking=booking,
        raised_by=actor,
    )
    audit.record(
        AuditEntry.Action.CREATE,
        alert,
        details={"kind": kind, "child": child.pk, "adult": adult.pk if adult else None},
        actor=actor,
    )
    signals.restricted_adult_named.send(sender=Alert, alert=alert)
    return alert


def check_in(
    session: Session | None,
    child: Child,
    *,
    brought_by: str,
    booking_id: int | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """The child arrives. Naming a restricted adult as the one who brought her still checks
    her in (she is safer in the room) and alerts the coordinator and the director."""
    now = now or timezone.now()
    try:
        # Stored and shown on the boards: no bidi override may make it read as another name.
        brought_by = clean_name(brought_by)
    except ValidationError as exc:
        raise ValidationError({"adult_name": exc.messages}) from None
    if not brought_by:
        raise ValidationError({"adult_name": _("Write who brought the child.")})
    if session is not None and child.centre_id != session.centre_id:
        raise ValidationError({"child": _("This child is registered at another centre.")})
    with transaction.atomic():
        booking = _booking_for(session, child, booking_id)
        if booking.checked_in_at is not None:
            raise Conflict(
                _("This child was already checked in at %(time)s.")
                % {"time": _hhmm(booking.checked_in_at, booking.centre)}
            )
        starts_at, ends_at = booking.window
        if now < starts_at - CHECK_IN_OPENS:
            raise Conflict(_("Check-in opens an hour before the session starts."))
        if now >= ends_at:
            raise Conflict(_("This session is over."))
        booking.checked_in_at = now
        booking.brought_by = brought_by[:160]
        booking.checked_in_by = actor
        booking.save(update_fields=["checked_in_at", "brought_by", "checked_in_by"])
        _record(AuditEntry.Action.UPDATE, booking, actor, event="checked_in")
        adult = _matching_adult(child, brought_by)
        booking.alert = None
        if adult is not None and not adult.authorised:
            booking.alert = _raise_alert(
                Alert.Kind.BROUGHT_BY_RESTRICTED, child, adult, brought_by, booking, actor
            )
    return booking


class RestrictedAdult(Refused):
    """The check-out was blocked: this adult must never receive the child."""

    def __init__(self, adult: ChildAdult, alert: Alert) -> None:
        super().__init__(
            _(
                "STOP. Do not hand the child over: the adult you chose or named (%(name)s, "
                "%(relation)s) must never receive this child. The coordinator and the "
                "director have been alerted. Keep the child in the room and call the "
                "coordinator."
            )
            % {
                "name": names.short_name(adult.name),
                "relation": adult.get_relation_display().lower(),
            }
        )
        self.adult = adult
        self.alert = alert


def check_out(
    session: Session | None,
    child: Child,
    *,
    adult: ChildAdult | None = None,
    adult_name: str = "",
    booking_id: int | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Hand the child to an adult on her list. A restricted adult — chosen, or named — is
    refused (RestrictedAdult) and an alert is written, and kept, whatever the caller does."""
    now = now or timezone.now()
    # A hidden character typed into his name must neither slip past the match nor reach the
    # coordinator's alert page, where a bidi override would make it read as another name.
    adult_name = without_invisible(adult_name or "")
    if session is not None and child.centre_id != session.centre_id:
        raise ValidationError({"child": _("This child is registered at another centre.")})
    if adult is None:
        adult = _matching_adult(child, adult_name)
        if adult is None:
            raise ValidationError(
                {
                    "adult": _(
                        "Nobody of that name may collect this child. Hand her only to an "
                        "adult on her list; if in doubt, call the coordinator."
                    )
                }
            )
    elif adult.child_id != child.pk:
        raise ValidationError({"adult": _("This adult is not on this child's list.")})
    elif adult.authorised:
        # Chosen from the list, but a restricted adult has the same name: a tutor cannot tell
        # them apart at the door, so the restricted one wins here too.
        adult = _same_named_restricted(child, adult) or adult
    if not adult.authorised:
        # The alert is its own transaction: it must survive the refusal.
        with transaction.atomic():
            found = Booking.objects.filter(child=child)
            found = (
                found.filter(pk=booking_id)
                if booking_id is not None
                else found.filter(session=session)
            )
            booking = found.first()
            alert = _raise_alert(
                Alert.Kind.CHECK_OUT_BLOCKED, child, adult, adult_name or adult.name, booking, actor
            )
        raise RestrictedAdult(adult, alert)
    with transaction.atomic():
        booking = _booking_for(session, child, booking_id)
        if booking.checked_in_at is None:
            raise Conflict(_("This child has not been checked in, so she cannot be checked out."))
        if booking.checked_out_at is not None:
            raise Conflict(
                _("This child was already checked out at %(time)s (collected by %(name)s).")
                % {
                    "time": _hhmm(booking.checked_out_at, booking.centre),
                    "name": names.short_name(booking.collected_by.name)
                    if booking.collected_by
                    else "",
                }
            )
        booking.checked_out_at = max(now, booking.checked_in_at)
        booking.collected_by = adult
        booking.checked_out_by = actor
        booking.save(update_fields=["checked_out_at", "collected_by", "checked_out_by"])
        _record(AuditEntry.Action.UPDATE, booking, actor, event="checked_out", adult=adult.pk)
    return booking


def acknowledge(alert: Alert, *, actor: User, now: dt.datetime | None = None) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = now or timezone.now()
            alert.acknowledged_by = actor
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
            audit.record(
                AuditEntry.Action.UPDATE, alert, details={"event": "acknowledged"}, actor=actor
            )
    return alert


# --- Incidents ------------------------------------------------------------------------------

INCIDENT_FIELDS = ("kind", "what_happened", "action_taken", "parent_informed", "occurred_at")


def record_incident(
    child: Child,
    *,
    kind: str,
    what_happened: str,
    action_taken: str,
    parent_informed: bool,
    occurred_at: dt.datetime | None = None,
    booking: Booking | None = None,
    actor: User | None = None,
) -> Incident:
    if booking is not None and booking.child_id != child.pk:
        raise ValidationError({"booking": _("This booking is for another child.")})
    incident = Incident(
        centre_id=child.centre_id,
        child=child,
        booking=booking,
        kind=kind,
        what_happened=(what_happened or "").strip(),
        action_taken=(action_taken or "").strip(),
        parent_informed=parent_informed,
        occurred_at=occurred_at or timezone.now(),
        reported_by=actor,
    )
    incident.full_clean(exclude=["centre", "child", "booking", "reported_by"])
    if incident.occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("An incident cannot be in the future.")})
    with transaction.atomic():
        incident.save()
        audit.record(
            AuditEntry.Action.CREATE,
            incident,
            fields=INCIDENT_FIELDS,
            details={"child": child.pk},
            actor=actor,
        )
    return incident
