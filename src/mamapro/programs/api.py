"""API for courses, runs (with their seat counts) and sessions (shared/API.md).

Courses are network-wide: any role that reads programmes at one centre reads them all, any
role that edits programmes somewhere may add one. Runs and sessions belong to a centre: a
path id outside the user's centres is a 404, and a reference in a body that the user cannot
see (centre, course, trainer, room) is a 422 naming the field, exactly as for one that does
not exist. Seats change only through services/enrollment.py; runs and sessions through
services/runs.py.

Enrollments and fees (api_enrollments.py) and workshop topics (api_topics.py) add their
operations to this same router, imported at the end of this module.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from mamapro.centres.models import Centre, Room
from mamapro.core import permissions as perms
from mamapro.core.api import Page, PageFilters, patch_data
from mamapro.core.models import User
from mamapro.core.text import fold
from mamapro.programs import queries
from mamapro.programs.models import Course, Run, Session
from mamapro.programs.services import enrollment as seats
from mamapro.programs.services import runs as timetable

router = Router(tags=["programmes"])

Category = Literal[
    "entrepreneurship",
    "computer_literacy",
    "copywriting",
    "self_development",
    "parenting",
    "other",
]
TeachingLanguage = Literal["kk", "ru", "en", "kk_ru"]
RunStatus = Literal["draft", "published", "cancelled", "closed"]
NewRunStatus = Literal["draft", "published"]
Currency = Literal["KZT"]
# A decimal string ("15000.00") or a number; the service checks it and names `price`.
Money = Decimal | str
# An id the database's integers can hold: a bigger number is a 422 naming the field rather
# than an overflow inside the database driver (SQLite raises OverflowError, a 500).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Window(PageFilters):
    offset: int = Field(0, ge=0, le=2**31 - 1)


def money(value: Decimal | str | int) -> str:
    return f"{Decimal(value):.2f}"


def person_name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


def window(qs: QuerySet[Any], filters: PageFilters) -> list[Any]:
    return list(qs[filters.offset : filters.offset + filters.limit])


# --- Courses ---------------------------------------------------------------------------------
class CourseOut(Schema):
    id: int
    title: str
    category: str
    description: str
    language: str
    is_workshop: bool
    created_at: dt.datetime


class CourseIn(Schema):
    title: str = Field(..., min_length=1, max_length=160)
    category: Category
    description: str = Field("", max_length=5000)
    language: TeachingLanguage = "ru"
    is_workshop: bool = False


class CoursePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=160)
    category: Category | None = None
    description: str | None = Field(None, max_length=5000)
    language: TeachingLanguage | None = None
    is_workshop: bool | None = None


class CourseFilters(Window):
    search: str = Field("", max_length=100, description="part of the title, any case")
    category: Category | None = None


@router.get("/courses", response=Page[CourseOut])
@perms.rule(perms.PROGRAM_VIEW)
def list_courses(request: HttpRequest, filters: Query[CourseFilters]) -> dict[str, Any]:
    qs = Course.objects.all()
    if filters.category:
        qs = qs.filter(category=filters.category)
    words = fold(filters.search).split()[:6]
    if words:
        # The catalogue is small: fold titles here, so Kazakh and Russian match in any case
        # on SQLite as on PostgreSQL (SQLite folds ASCII only).
        ids = [
            pk
            for pk, title in qs.values_list("id", "title")
            if all(w in fold(title) for w in words)
        ]
        qs = qs.filter(pk__in=ids)
    return {"items": window(qs, filters), "count": qs.count()}


@router.post("/courses", response={201: CourseOut})
@perms.rule(perms.PROGRAM_EDIT)
def create_course(request: HttpRequest, payload: CourseIn) -> Status[Course]:
    course = timetable.create_course(data=payload.dict(), actor=perms.acting_user(request))
    return Status(201, course)


@router.get("/courses/{course_id}", response=CourseOut)
@perms.rule(perms.PROGRAM_VIEW)
def get_course(request: HttpRequest, course_id: int) -> Course:
    return _course(course_id)


@router.patch("/courses/{course_id}", response=CourseOut)
@perms.rule(perms.PROGRAM_EDIT)
def update_course(request: HttpRequest, course_id: int, payload: CoursePatch) -> Course:
    data = patch_data(payload, nullable=set(), blankable={"description"})
    return timetable.update_course(_course(course_id), data=data, actor=perms.acting_user(request))


def _course(course_id: int) -> Course:
    return get_object_or_404(Course, pk=course_id)


# --- Runs ------------------------------------------------------------------------------------
class RunOut(Schema):
    id: int
    course: int
    course_title: str
    title: str
    centre: int
    starts_on: dt.date
    ends_on: dt.date
    trainer: int | None
    trainer_name: str | None
    speaker: str
    price: str = Field(..., examples=["15000.00"])
    currency: str
    paid_seats: int
    free_seats: int
    sponsor: str
    kids_room: bool
    status: RunStatus
    offer_hours: int
    release_days_before: int | None
    completion_percent: int
    # Counted from the enrollments: confirmed, offered (a seat held for her answer), waiting,
    # and seats still open to a new enrollment. The totals for every reader; per seat type
    # only for the roles that give and sell seats (coordinators, the director, the manager),
    # null for the others: a free seat says she has a verified circumstance.
    confirmed: int
    offered: int
    waitlist: int
    left: int
    paid_confirmed: int | None
    free_confirmed: int | None
    paid_offered: int | None
    free_offered: int | None
    paid_waitlist: int | None
    free_waitlist: int | None
    paid_left: int | None
    free_left: int | None


class RunIn(Schema):
    course: Id
    centre: Id
    title: str = Field("", max_length=160, description="empty: the course's title")
    starts_on: dt.date
    ends_on: dt.date
    paid_seats: int = 10
    free_seats: int = 10
    price: Money = Field("0.00", description='a decimal string such as "15000.00"')
    currency: Currency = "KZT"
    trainer: Id | None = Field(None, description="a staff member of the centre")
    speaker: str = Field("", max_length=160)
    sponsor: str = Field("", max_length=160)
    kids_room: bool = True
    status: NewRunStatus = "published"
    offer_hours: int = 48
    release_days_before: int | None = 7
    completion_percent: int = 75


class RunPatch(Schema):
    title: str | None = Field(None, max_length=160)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    paid_seats: int | None = Field(None, description="never below the seats already taken")
    free_seats: int | None = Field(None, description="never below the seats already taken")
    price: Money | None = Field(None, description="applies to fees from now on")
    trainer: Id | None = None
    speaker: str | None = Field(None, max_length=160)
    sponsor: str | None = Field(None, max_length=160)
    kids_room: bool | None = None
    status: RunStatus | None = None
    offer_hours: int | None = None
    release_days_before: int | None = None
    completion_percent: int | None = None


class RunFilters(Window):
    centre: Id | None = None
    course: Id | None = None
    status: RunStatus | None = None
    ends_after: dt.date | None = Field(None, description="runs not finished before this day")
    starts_before: dt.date | None = Field(None, description="runs begun by this day")


class SponsoredSeatsIn(Schema):
    seats: int = Field(..., description="extra free seats, 1 to 100")
    sponsor: str = Field(..., max_length=160)


PER_SEAT_TYPE = (
    "paid_confirmed",
    "free_confirmed",
    "paid_offered",
    "free_offered",
    "paid_waitlist",
    "free_waitlist",
    "paid_left",
    "free_left",
)


def run_out(run: Run, counts: seats.SeatCounts, *, seat_types: bool) -> dict[str, Any]:
    total = queries.totals(counts)
    out = {
        "id": run.pk,
        "course": run.course_id,
        "course_title": run.course.title,
        "title": run.display_title,
        "centre": run.centre_id,
        "starts_on": run.starts_on,
        "ends_on": run.ends_on,
        "trainer": run.trainer_id,
        "trainer_name": person_name(run.trainer),
        "speaker": run.speaker,
        "price": money(run.price),
        "currency": run.currency,
        "paid_seats": run.paid_seats,
        "free_seats": run.free_seats,
        "sponsor": run.sponsor,
        "kids_room": run.kids_room,
        "status": run.status,
        "offer_hours": run.offer_hours,
        "release_days_before": run.release_days_before,
        "completion_percent": run.completion_percent,
        "paid_confirmed": counts.paid_confirmed,
        "free_confirmed": counts.free_confirmed,
        "paid_offered": counts.paid_offered,
        "free_offered": counts.free_offered,
        "paid_waitlist": counts.paid_waitlist,
        "free_waitlist": counts.free_waitlist,
        "paid_left": counts.left(seats.PAID),
        "free_left": counts.left(seats.FREE),
        "confirmed": total.confirmed,
        "offered": total.offered,
        "waitlist": total.waiting,
        "left": total.left,
    }
    if not seat_types:
        out.update(dict.fromkeys(PER_SEAT_TYPE))
    return out


def _seat_types(request: HttpRequest, run: Run) -> bool:
    return queries.sees_seat_types(request.user, run.centre_id)


def _runs() -> QuerySet[Run]:
    return Run.objects.select_related("course", "trainer")


def visible_run(request: HttpRequest, run_id: int, capability: str) -> Run:
    """The run by its path id: 404 outside the user's centres, 403 without the right."""
    return perms.get_for_user(
        Run.objects.select_related("course", "centre", "trainer"),
        request.user,
        capability,
        pk=run_id,
    )


def _run_response(request: HttpRequest, run_id: int) -> dict[str, Any]:
    run = _runs().get(pk=run_id)
    return run_out(run, seats.seat_counts(run), seat_types=_seat_types(request, run))


@router.get("/runs", response=Page[RunOut])
@perms.rule(perms.PROGRAM_VIEW)
def list_runs(request: HttpRequest, filters: Query[RunFilters]) -> dict[str, Any]:
    qs = perms.scope(_runs(), request.user, perms.PROGRAM_VIEW, only_centre=filters.centre)
    if filters.course is not None:
        qs = qs.filter(course_id=filters.course)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.ends_after:
        qs = qs.filter(ends_on__gte=filters.ends_after)
    if filters.starts_before:
        qs = qs.filter(starts_on__lte=filters.starts_before)
    page = window(qs.order_by("starts_on", "id"), filters)
    counts = timetable.seat_counts_by_run(page)
    items = [run_out(r, counts[r.pk], seat_types=_seat_types(request, r)) for r in page]
    return {"items": items, "count": qs.count()}


def _references(
    request: HttpRequest, payload: RunIn | RunPatch, centre_id: int | None
) -> dict[str, Any]:
    """Resolve the ids in a run's body; each one the user cannot see is named in one 422."""
    errors: dict[str, str] = {}
    found: dict[str, Any] = {}
    sent = payload.dict(exclude_unset=True)
    if isinstance(payload, RunIn):
        centre = (
            perms.scope(Centre.objects.all(), request.user, perms.CENTRE_VIEW, centre_field="id")
            .filter(pk=payload.centre)
            .first()
        )
        if centre is None:
            errors["centre"] = _("No such centre among yours.")
        found["centre"] = centre
        found["course"] = Course.objects.filter(pk=payload.course).first()
        if found["course"] is None:
            errors["course"] = _("No such course.")
        centre_id = centre.pk if centre else None
    if sent.get("trainer") is not None:
        trainer = User.objects.filter(pk=sent["trainer"], is_active=True).first()
        if trainer is None or centre_id is None or not timetable.may_teach(trainer, centre_id):
            errors["trainer"] = _("Choose a trainer or coordinator who works at this centre.")
        found["trainer"] = trainer
    elif "trainer" in sent:
        found["trainer"] = None
    if errors:
        raise ValidationError(errors)
    return found


@router.post("/runs", response={201: RunOut})
@perms.rule(perms.PROGRAM_EDIT)
def create_run(request: HttpRequest, payload: RunIn) -> Status[dict[str, Any]]:
    refs = _references(request, payload, None)
    perms.require(request.user, perms.PROGRAM_EDIT, refs["centre"].pk)
    data = payload.dict(exclude={"course", "centre", "trainer", "currency"})
    run = timetable.create_run(
        course=refs["course"],
        centre=refs["centre"],
        trainer=refs.get("trainer"),
        actor=perms.acting_user(request),
        **data,
    )
    return Status(201, _run_response(request, run.pk))


@router.get("/runs/{run_id}", response=RunOut)
@perms.rule(perms.PROGRAM_VIEW)
def get_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    run = visible_run(request, run_id, perms.PROGRAM_VIEW)
    return run_out(run, seats.seat_counts(run), seat_types=_seat_types(request, run))


@router.patch("/runs/{run_id}", response=RunOut)
@perms.rule(perms.PROGRAM_EDIT)
def update_run(request: HttpRequest, run_id: int, payload: RunPatch) -> dict[str, Any]:
    run = visible_run(request, run_id, perms.PROGRAM_EDIT)
    data = patch_data(
        payload,
        nullable={"trainer", "release_days_before"},
        blankable={"title", "speaker", "sponsor"},
    )
    data.update(_references(request, payload, run.centre_id))
    timetable.update_run(run, data=data, actor=perms.acting_user(request))
    return _run_response(request, run.pk)


@router.post("/runs/{run_id}/sponsored-seats", response=RunOut)
@perms.rule(perms.PROGRAM_EDIT)
def fund_free_seats(request: HttpRequest, run_id: int, payload: SponsoredSeatsIn) -> dict[str, Any]:
    """A sponsor pays for extra free seats; women waiting for a free seat get offers at once."""
    run = visible_run(request, run_id, perms.PROGRAM_EDIT)
    seats.fund_free_seats(
        run,
        seats=payload.seats,
        sponsor=payload.sponsor,
        actor=perms.acting_user(request),
    )
    return _run_response(request, run.pk)


# --- Sessions --------------------------------------------------------------------------------
class SessionOut(Schema):
    id: int
    run: int
    starts_at: dt.datetime = Field(..., description="in the centre's time zone")
    ends_at: dt.datetime
    room: int | None
    room_name: str | None
    topic: str
    cancelled: bool


class SessionIn(Schema):
    starts_at: dt.datetime = Field(..., description="without an offset: the centre's time")
    ends_at: dt.datetime
    room: Id | None = None
    topic: str = Field("", max_length=200)


class SessionPatch(Schema):
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    room: Id | None = None
    topic: str | None = Field(None, max_length=200)
    cancelled: bool | None = None


class WeeklyPatternIn(Schema):
    weekdays: list[int] = Field(..., description="0 = Monday … 6 = Sunday")
    start_time: dt.time = Field(..., description="the centre's local time, HH:MM")
    end_time: dt.time
    room: Id | None = None
    topic: str = Field("", max_length=200)


def session_out(session: Session, centre: Centre) -> dict[str, Any]:
    tz = timetable.centre_zone(centre)
    return {
        "id": session.pk,
        "run": session.run_id,
        "starts_at": timezone.localtime(session.starts_at, tz),
        "ends_at": timezone.localtime(session.ends_at, tz),
        "room": session.room_id,
        "room_name": session.room.name if session.room else None,
        "topic": session.topic,
        "cancelled": session.cancelled,
    }


def _room(room_id: int | None, centre_id: int) -> Room | None:
    if room_id is None:
        return None
    room = Room.objects.filter(pk=room_id, centre_id=centre_id).first()
    if room is None:
        raise ValidationError({"room": _("Choose a room of this run's centre.")})
    return room


@router.get("/runs/{run_id}/sessions", response=Page[SessionOut])
@perms.rule(perms.PROGRAM_VIEW)
def list_sessions(request: HttpRequest, run_id: int, filters: Query[Window]) -> dict[str, Any]:
    run = visible_run(request, run_id, perms.PROGRAM_VIEW)
    qs = Session.objects.filter(run=run).select_related("room").order_by("starts_at", "id")
    items = [session_out(s, run.centre) for s in window(qs, filters)]
    return {"items": items, "count": qs.count()}


@router.post("/runs/{run_id}/sessions", response={201: SessionOut})
@perms.rule(perms.PROGRAM_EDIT)
def create_session(request: HttpRequest, run_id: int, payload: SessionIn) -> Status[dict[str, Any]]:
    run = visible_run(request, run_id, perms.PROGRAM_EDIT)
    session = timetable.add_session(
        run,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        room=_room(payload.room, run.centre_id),
        topic=payload.topic,
        actor=perms.acting_user(request),
    )
    return Status(201, session_out(session, run.centre))


@router.post(
    "/runs/{run_id}/sessions/generate",
    response={200: Page[SessionOut], 201: Page[SessionOut]},
)
@perms.rule(perms.PROGRAM_EDIT)
def generate_sessions(
    request: HttpRequest, run_id: int, payload: WeeklyPatternIn
) -> Status[dict[str, Any]]:
    """One session on each chosen weekday from the run's first day to its last; sessions
    already there at those times are kept. 201 with the new ones, 200 when none were needed."""
    run = visible_run(request, run_id, perms.PROGRAM_EDIT)
    created = timetable.generate_weekly_sessions(
        run,
        payload.weekdays,
        payload.start_time,
        payload.end_time,
        _room(payload.room, run.centre_id),
        topic=payload.topic,
        actor=perms.acting_user(request),
    )
    items = [session_out(s, run.centre) for s in created]
    return Status(201 if created else 200, {"items": items, "count": len(items)})


def _visible_session(request: HttpRequest, session_id: int, capability: str) -> Session:
    return perms.get_for_user(
        Session.objects.select_related("room", "centre"),
        request.user,
        capability,
        pk=session_id,
    )


@router.get("/sessions/{session_id}", response=SessionOut)
@perms.rule(perms.PROGRAM_VIEW)
def get_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = _visible_session(request, session_id, perms.PROGRAM_VIEW)
    return session_out(session, session.centre)


@router.patch("/sessions/{session_id}", response=SessionOut)
@perms.rule(perms.PROGRAM_EDIT)
def update_session(request: HttpRequest, session_id: int, payload: SessionPatch) -> dict[str, Any]:
    """Move a session (times, room, topic) or cancel it (`cancelled: true`)."""
    session = _visible_session(request, session_id, perms.PROGRAM_EDIT)
    data = patch_data(payload, nullable={"room"}, blankable={"topic"})
    if "room" in data:
        data["room"] = _room(data["room"], session.centre_id)
    session = timetable.update_session(session, data=data, actor=perms.acting_user(request))
    session = Session.objects.select_related("room", "centre").get(pk=session.pk)
    return session_out(session, session.centre)


# Enrollments, fees and workshop topics join this router (the API and the permission table
# walk one router per app); imported last, once `router` exists.
from mamapro.programs import api_enrollments, api_topics  # noqa: E402, F401
