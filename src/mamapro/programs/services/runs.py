"""Courses, runs and their sessions: creating, changing, and a run's weekly timetable.

One function per action, one transaction each, an audit entry with every change. Input
problems raise Django's ValidationError keyed by field name (the API answers 422 naming it);
clashes with the current state (a room already booked, a cancelled run) raise Conflict.

Seats are not set here beyond a new run's first counts: changing them goes through
`enrollment.change_seats`, which locks the run and refuses to go below what is confirmed.

Session times are aware datetimes; a naive one is read in the centre's own time zone, and a
session lies within its run when its local dates do (a run's dates are the centre's dates).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.centres.clock import centre_zone as centre_zone  # re-exported: timetable.centre_zone
from mamapro.centres.models import Centre, Room
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.changes import apply_changes, changed_fields
from mamapro.core.dates import FIRST_DAY, LAST_DAY
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry, User
from mamapro.programs.locking import locked_run
from mamapro.programs.models import Attendance, Course, Enrollment, Run, Session
from mamapro.programs.services import enrollment as seats

COURSE_FIELDS = ("title", "category", "description", "language", "is_workshop")
# What a run's edit may change besides its seats (those go through `change_seats`).
RUN_FIELDS = (
    "title",
    "starts_on",
    "ends_on",
    "trainer",
    "speaker",
    "price",
    "sponsor",
    "kids_room",
    "status",
    "offer_hours",
    "release_days_before",
    "completion_percent",
)
SESSION_FIELDS = ("starts_at", "ends_at", "room", "topic", "cancelled")
MAX_SEATS = 500
MAX_PRICE = Decimal("99999999.99")
# A course runs for weeks or months and is planned a season or two ahead. Beyond these a date
# is a typo (or an attack: a run to 9999-12-31 would generate millions of sessions, and the
# day after it does not exist).
MAX_PLANNED_AHEAD = dt.timedelta(days=3 * 366)
MAX_RUN_LENGTH = dt.timedelta(days=2 * 366)
CLOSED_RUN = (Run.Status.CANCELLED, Run.Status.CLOSED)


def _full_clean(obj: models.Model, errors: dict[str, Any]) -> None:
    """Our own messages first; Django's field checks (lengths, choices) for the rest."""
    try:
        obj.full_clean(exclude=list(errors), validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


# --- Courses (network-wide: no centre) -------------------------------------------------------
@transaction.atomic
def create_course(*, data: Mapping[str, Any], actor: User | None = None) -> Course:
    course = Course()
    apply_changes(course, data, COURSE_FIELDS)
    course.title = (course.title or "").strip()
    _full_clean(course, {})
    course.save()
    audit.record(AuditEntry.Action.CREATE, course, fields=data.keys(), actor=actor)
    return course


@transaction.atomic
def update_course(course: Course, *, data: Mapping[str, Any], actor: User | None = None) -> Course:
    course = Course.objects.select_for_update().get(pk=course.pk)
    before = apply_changes(course, data, COURSE_FIELDS)
    course.title = (course.title or "").strip()
    _full_clean(course, {})
    changed = sorted(changed_fields(course, before))
    if changed:
        course.save()
        audit.record(AuditEntry.Action.UPDATE, course, fields=changed, actor=actor)
    return course


# --- Runs ------------------------------------------------------------------------------------
def may_teach(user: User, centre_id: int) -> bool:
    """A run's trainer must be able to take its roll call: a staff member of that centre."""
    return user.is_active and perms.principal(user).can(perms.ATTENDANCE_RECORD, centre_id)


def _check_seats(name: str, value: Any, errors: dict[str, Any]) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEATS:
        errors[name] = _("Enter a whole number from 0 to %(max)s.") % {"max": MAX_SEATS}


def _check_price(run: Run, errors: dict[str, Any]) -> None:
    try:
        price = Decimal(str(run.price))
    except InvalidOperation:
        errors["price"] = _("Enter an amount such as 15000.00.")
        return
    if not price.is_finite() or price < 0:
        errors["price"] = _("The price cannot be negative; use 0 for a free run.")
    elif price > MAX_PRICE or price != price.quantize(Decimal("0.01")):
        errors["price"] = _("Enter an amount in tenge with at most 2 decimal places.")
    else:
        run.price = price.quantize(Decimal("0.01"))


def _check_run(run: Run, errors: dict[str, Any], *, today: dt.date, start_moved: bool) -> None:
    """The checks a run's own fields need, beyond what the model's fields enforce."""
    if start_moved and isinstance(run.starts_on, dt.date) and run.starts_on < today:
        errors["starts_on"] = _("The start date has passed; choose today or a later day.")
    elif isinstance(run.starts_on, dt.date) and run.starts_on > today + MAX_PLANNED_AHEAD:
        errors["starts_on"] = _("A run starts at most three years from today.")
    if isinstance(run.starts_on, dt.date) and isinstance(run.ends_on, dt.date):
        if run.ends_on < run.starts_on:
            errors["ends_on"] = _("A run ends on or after the day it starts.")
        elif run.ends_on - run.starts_on > MAX_RUN_LENGTH:
            errors["ends_on"] = _("A run lasts at most two years.")
    _check_price(run, errors)
    if run.trainer is not None and not may_teach(run.trainer, run.centre_id):
        errors["trainer"] = _("Choose a trainer or coordinator who works at this centre.")


def create_run(
    *,
    course: Course,
    centre: Centre,
    starts_on: dt.date,
    ends_on: dt.date,
    paid_seats: int = 10,
    free_seats: int = 10,
    price: Decimal | str | int = Decimal("0"),
    actor: User | None = None,
    today: dt.date | None = None,
    **options: Any,
) -> Run:
    """A new run of `course` at `centre`; `options` are the other fields of RUN_FIELDS."""
    today = today or timezone.localdate()
    run = Run(course=course, centre=centre)
    apply_changes(run, options, RUN_FIELDS)
    run.starts_on, run.ends_on, run.price = starts_on, ends_on, price
    errors: dict[str, Any] = {}
    _check_seats("paid_seats", paid_seats, errors)
    _check_seats("free_seats", free_seats, errors)
    run.paid_seats, run.free_seats = paid_seats, free_seats
    _check_run(run, errors, today=today, start_moved=True)
    _full_clean(run, errors)
    with transaction.atomic():
        run.save()
        audit.record(
            AuditEntry.Action.CREATE,
            run,
            fields=[
                "course",
                "starts_on",
                "ends_on",
                "paid_seats",
                "free_seats",
                "price",
                *options,
            ],
            actor=actor,
        )
    return run


def update_run(
    run: Run,
    *,
    data: Mapping[str, Any],
    actor: User | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Run:
    """Change a run's fields and, through `change_seats`, its seats: all or nothing."""
    today = today or timezone.localdate()
    data = dict(data)
    new_seats = {name: data.pop(name) for name in ("paid_seats", "free_seats") if name in data}
    errors: dict[str, Any] = {}
    for name, value in new_seats.items():
        _check_seats(name, value, errors)
    with locked_run(run.pk) as run, transaction.atomic():
        before = apply_changes(run, data, RUN_FIELDS)
        _check_run(
            run,
            errors,
            today=today,
            start_moved="starts_on" in data and before["starts_on"] != run.starts_on,
        )
        _check_sessions_fit(run, errors)
        _full_clean(run, errors)
        changed = sorted(changed_fields(run, before))
        if changed:
            run.save(update_fields=changed)
            audit.record(AuditEntry.Action.UPDATE, run, fields=changed, actor=actor)
        if new_seats:
            seats.change_seats(
                run,
                paid_seats=new_seats.get("paid_seats", run.paid_seats),
                free_seats=new_seats.get("free_seats", run.free_seats),
                actor=actor,
                now=now,
            )
    return Run.objects.select_related("course", "centre", "trainer").get(pk=run.pk)


def _check_sessions_fit(run: Run, errors: dict[str, Any]) -> None:
    """Moving a run's dates must not leave sessions outside them."""
    if "starts_on" in errors or "ends_on" in errors:
        return
    tz = centre_zone(run.centre)
    first = dt.datetime.combine(run.starts_on, dt.time.min, tzinfo=tz)
    after_last = dt.datetime.combine(run.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    live = Session.objects.filter(run=run, cancelled=False)
    if live.filter(starts_at__lt=first).exists():
        errors["starts_on"] = _("Sessions are planned before this date; move or cancel them first.")
    if live.filter(ends_at__gt=after_last).exists():
        errors["ends_on"] = _("Sessions are planned after this date; move or cancel them first.")


def seat_counts_by_run(runs: Iterable[Run]) -> dict[int, seats.SeatCounts]:
    """`seat_counts` for many runs in one query (lists); counted from the enrollment rows."""
    runs = list(runs)
    counts: Counter[tuple[int, str, str]] = Counter()
    rows = (
        Enrollment.objects.filter(
            run_id__in=[r.pk for r in runs],
            status__in=[*Enrollment.HOLDS_SEAT, Enrollment.Status.WAITLISTED],
        )
        .values_list("run_id", "seat_type", "status")
        .annotate(n=models.Count("id"))
        .order_by()
    )
    for run_id, seat_type, status, n in rows:
        counts[(run_id, seat_type, status)] = n
    paid, free = Enrollment.SeatType.PAID, Enrollment.SeatType.FREE
    status = Enrollment.Status
    return {
        r.pk: seats.SeatCounts(
            paid_seats=r.paid_seats,
            free_seats=r.free_seats,
            paid_confirmed=counts[(r.pk, paid, status.CONFIRMED)],
            free_confirmed=counts[(r.pk, free, status.CONFIRMED)],
            paid_offered=counts[(r.pk, paid, status.OFFERED)],
            free_offered=counts[(r.pk, free, status.OFFERED)],
            paid_waitlist=counts[(r.pk, paid, status.WAITLISTED)],
            free_waitlist=counts[(r.pk, free, status.WAITLISTED)],
        )
        for r in runs
    }


# --- Sessions --------------------------------------------------------------------------------
def _aware(value: Any, tz: ZoneInfo) -> Any:
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, tz)
    return value


def _check_session(session: Session, run: Run, errors: dict[str, Any]) -> None:
    tz = centre_zone(run.centre)
    session.starts_at = _aware(session.starts_at, tz)
    session.ends_at = _aware(session.ends_at, tz)
    starts, ends = session.starts_at, session.ends_at
    if isinstance(starts, dt.datetime) and isinstance(ends, dt.datetime):
        dates = {
            "from": f"{run.starts_on:%d.%m.%Y}",
            "to": f"{run.ends_on:%d.%m.%Y}",
        }
        # Year 1 or 9999 with an offset overflows the conversion to her centre's time below.
        for name, moment in (("starts_at", starts), ("ends_at", ends)):
            if not FIRST_DAY <= moment.date() <= LAST_DAY:
                errors[name] = (
                    _("The session must fall within the run's dates (%(from)s – %(to)s).") % dates
                )
        if errors.keys() & {"starts_at", "ends_at"}:
            return
        if ends <= starts:
            errors["ends_at"] = _("A session ends after it starts.")
        if not run.starts_on <= starts.astimezone(tz).date() <= run.ends_on:
            errors["starts_at"] = (
                _("The session must fall within the run's dates (%(from)s – %(to)s).") % dates
            )
        elif "ends_at" not in errors and ends.astimezone(tz).date() > run.ends_on:
            errors["ends_at"] = (
                _("The session must fall within the run's dates (%(from)s – %(to)s).") % dates
            )
    if session.room is not None and session.room.centre_id != run.centre_id:
        errors["room"] = _("Choose a room of this run's centre.")


def _check_room_free(session: Session) -> None:
    """Two sessions in one room at once is a clash; the room's row is locked meanwhile."""
    if session.room_id is None or session.cancelled:
        return
    Room.objects.select_for_update().filter(pk=session.room_id).first()
    clash = (
        Session.objects.filter(
            room_id=session.room_id,
            cancelled=False,
            starts_at__lt=session.ends_at,
            ends_at__gt=session.starts_at,
        )
        .exclude(pk=session.pk)
        .select_related("run__course", "run__centre")
        .first()
    )
    if clash is not None:
        local = timezone.localtime(clash.starts_at, centre_zone(clash.run.centre))
        raise Conflict(
            _("The room is booked then: %(run)s, %(when)s. Choose another room or time.")
            % {"run": clash.run.display_title, "when": f"{local:%d.%m.%Y %H:%M}"}
        )


def _refuse_closed(run: Run) -> None:
    if run.status in CLOSED_RUN:
        raise Conflict(
            _("This run is %(status)s; its timetable can no longer change.")
            % {"status": run.get_status_display().lower()}
        )


def add_session(
    run: Run,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    room: Room | None = None,
    topic: str = "",
    actor: User | None = None,
) -> Session:
    run = Run.objects.select_related("centre", "course").get(pk=run.pk)
    _refuse_closed(run)
    session = Session(
        run=run,
        centre_id=run.centre_id,
        starts_at=starts_at,
        ends_at=ends_at,
        room=room,
        topic=(topic or "").strip(),
    )
    errors: dict[str, Any] = {}
    _check_session(session, run, errors)
    _full_clean(session, errors)
    with transaction.atomic():
        _check_room_free(session)
        session.save()
        audit.record(
            AuditEntry.Action.CREATE,
            session,
            fields=["starts_at", "ends_at", "room", "topic"],
            details={"run": run.pk},
            actor=actor,
        )
    return session


def update_session(
    session: Session, *, data: Mapping[str, Any], actor: User | None = None
) -> Session:
    """Move a session (times, room, topic) or cancel it; never one with attendance taken."""
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("run__centre", "run__course", "room")
            .get(pk=session.pk)
        )
        run = session.run
        _refuse_closed(run)
        if "topic" in data:
            data = {**data, "topic": (data["topic"] or "").strip()}
        before = apply_changes(session, data, SESSION_FIELDS)
        errors: dict[str, Any] = {}
        _check_session(session, run, errors)
        _full_clean(session, errors)
        changed = sorted(changed_fields(session, before))
        if not changed:
            return session
        marked = Attendance.objects.filter(session=session).exists()
        if marked and ({"starts_at", "ends_at"} & set(changed) or session.cancelled):
            raise Conflict(
                _(
                    "Attendance is already recorded for this session; "
                    "it can no longer be moved or cancelled."
                )
            )
        _check_room_free(session)
        session.save()
        audit.record(
            AuditEntry.Action.UPDATE,
            session,
            fields=changed,
            details={"run": run.pk, "cancelled": session.cancelled},
            actor=actor,
        )
    return session


def generate_weekly_sessions(
    run: Run,
    weekdays: list[int],
    start_time: dt.time,
    end_time: dt.time,
    room: Room | None = None,
    *,
    topic: str = "",
    actor: User | None = None,
) -> list[Session]:
    """One session on each of `weekdays` (0 = Monday … 6 = Sunday) from the run's first day to
    its last, at the centre's local times; a session already there at those times is kept and
    not made twice, so generating again only fills the gaps."""
    run = Run.objects.select_related("centre", "course").get(pk=run.pk)
    _refuse_closed(run)
    errors: dict[str, Any] = {}
    days = set(weekdays)
    if not days or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
        errors["weekdays"] = _("Choose weekdays from 0 (Monday) to 6 (Sunday).")
    start_time, end_time = start_time.replace(tzinfo=None), end_time.replace(tzinfo=None)
    if end_time <= start_time:
        errors["end_time"] = _("A session ends after it starts.")
    if room is not None and room.centre_id != run.centre_id:
        errors["room"] = _("Choose a room of this run's centre.")
    tz = centre_zone(run.centre)
    dates = [
        run.starts_on + dt.timedelta(days=i)
        for i in range((run.ends_on - run.starts_on).days + 1)
        if (run.starts_on + dt.timedelta(days=i)).weekday() in days
    ]
    if not dates and "weekdays" not in errors:
        errors["weekdays"] = _("None of these weekdays falls within the run's dates.")
    if errors:
        raise ValidationError(errors)
    topic = (topic or "").strip()
    with transaction.atomic():
        # The run's row lock queues a second generation behind this one, so it finds these
        # sessions and does not make them twice.
        Run.objects.select_for_update(of=("self",)).filter(pk=run.pk).first()
        existing = set(Session.objects.filter(run=run).values_list("starts_at", "ends_at"))
        created = []
        for day in dates:
            session = Session(
                run=run,
                centre_id=run.centre_id,
                starts_at=dt.datetime.combine(day, start_time, tzinfo=tz),
                ends_at=dt.datetime.combine(day, end_time, tzinfo=tz),
                room=room,
                topic=topic,
            )
            if (session.starts_at, session.ends_at) in existing:
                continue
            _full_clean(session, {})
            _check_room_free(session)
            session.save()
            created.append(session)
        if created:
            audit.record(
                AuditEntry.Action.UPDATE,
                run,
                fields=["sessions"],
                details={
                    "event": "sessions_generated",
                    "weekdays": sorted(days),
                    "created": len(created),
                },
                actor=actor,
            )
    return created
