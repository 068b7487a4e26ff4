"""API for the kids' room (shared/API.md): bookings, check-ins, check-outs, tutors' shifts,
safety alerts and incidents.

Who does what, per centre: tutors, coordinators and the director read the bookings and check
children in and out (KIDSROOM_VIEW / KIDSROOM_CHECK); coordinators and the director book,
cancel and plan shifts (KIDSROOM_BOOK) and see the alerts (KIDSROOM_ALERTS); tutors write
incidents, coordinators and the director read them. A body naming a child, session or adult
the user cannot see is a 422 naming the field, as for one that does not exist.

A check-out to a restricted adult answers 403 and leaves an alert for the coordinator and the
director; a double check-in or a check-out of a child not checked in answers 409.
"""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from mamapro.centres.models import Room
from mamapro.core import permissions as perms
from mamapro.core.api import Page
from mamapro.core.models import User
from mamapro.kidsroom import names
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert, Booking, Incident, Shift
from mamapro.people import reach
from mamapro.people.models import Child, ChildAdult
from mamapro.programs.api import Id, Window, person_name, window
from mamapro.programs.models import Session

router = Router(tags=["kids' room"])

BookingStatus = Literal["booked", "waitlisted", "cancelled"]
IncidentKind = Literal[
    "injury",
    "illness",
    "behaviour",
    "medication",
    "seizure",
    "allergy",
    "safeguarding",
    "other",
]


# --- Lookups: what the user may see, else a 422 naming the field ----------------------------
def _visible(qs: QuerySet[Any], request: HttpRequest, capability: str, pk: int, field: str) -> Any:
    found = perms.scope(qs.filter(pk=pk), request.user, capability).first()
    if found is None:
        raise ValidationError({field: _("No such record among yours.")})
    return found


def _session(request: HttpRequest, pk: int, capability: str) -> Session:
    return _visible(Session.objects.select_related("run"), request, capability, pk, "session")


def _child(request: HttpRequest, pk: int, capability: str) -> Child:
    """A child the user's work reaches (a tutor: booked in her room), else a 422."""
    qs = reach.within_reach(Child.objects.select_related("parent"), request.user)
    return _visible(qs, request, capability, pk, "child")


# --- Bookings --------------------------------------------------------------------------------
class BookingOut(Schema):
    id: int
    session: int | None = Field(..., description="null for a slot of its own (an appointment)")
    starts_at: dt.datetime
    ends_at: dt.datetime
    child: int
    child_name: str
    status: BookingStatus
    missing: str | None = Field(None, description="for a waiting child: what the room lacks")
    checked_in_at: dt.datetime | None
    brought_by: str
    checked_out_at: dt.datetime | None
    collected_by: int | None
    collected_by_name: str | None


class BookingIn(Schema):
    child: Id
    session: Id
    waitlist: bool = Field(
        False, description="put her on the room's waiting list instead of a 409 when it is full"
    )


class BookingFilters(Window):
    session: Id | None = None
    child: Id | None = None
    status: BookingStatus | None = None


def booking_out(b: Booking, user: Any) -> dict[str, Any]:
    """Names as this user may see them (kidsroom.names): a tutor gets a restricted adult's
    first name and initial, the given name alone of a child whose mother uses an alias."""
    child = b.child
    adults = list(child.adults.all())
    return {
        "id": b.pk,
        "session": b.session_id,
        "starts_at": b.window[0],
        "ends_at": b.window[1],
        "child": b.child_id,
        "child_name": names.child_label(user, child),
        "status": b.status,
        "missing": b.shortage.message() if b.shortage is not None else None,
        "checked_in_at": b.checked_in_at,
        "brought_by": names.typed_label(user, b.brought_by, child, adults),
        "checked_out_at": b.checked_out_at,
        "collected_by": b.collected_by_id,
        "collected_by_name": names.adult_label(user, b.collected_by, child)
        if b.collected_by
        else None,
    }


def _bookings(request: HttpRequest) -> QuerySet[Booking]:
    qs = (
        Booking.objects.select_related("child__parent", "collected_by", "session")
        .prefetch_related("child__adults")
        .order_by("session_id", "queued_at", "id")
    )
    in_reach = reach.children_q(request.user)
    if in_reach is not None:
        qs = qs.filter(child__in=Child.objects.filter(in_reach).values("pk"))
    return qs


@router.get("/kidsroom/bookings", response=Page[BookingOut])
@perms.rule(perms.KIDSROOM_VIEW)
def list_bookings(request: HttpRequest, filters: Query[BookingFilters]) -> dict[str, Any]:
    qs = perms.scope(_bookings(request), request.user, perms.KIDSROOM_VIEW)
    for name in ("session", "child", "status"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{f"{name}_id" if name != "status" else name: value})
    return {
        "count": qs.count(),
        "items": [booking_out(b, request.user) for b in window(qs, filters)],
    }


@router.post("/kidsroom/bookings", response={201: BookingOut})
@perms.rule(perms.KIDSROOM_BOOK)
def create_booking(request: HttpRequest, payload: BookingIn) -> Status[dict[str, Any]]:
    """201 `booked`, or (with `waitlist`) `waitlisted` with what is `missing`; without it a
    full room is a 409 naming what is missing ("One more tutor is needed 14:00–16:00.")."""
    session = _session(request, payload.session, perms.KIDSROOM_BOOK)
    child = _child(request, payload.child, perms.CHILD_VIEW)
    booking = kids.book(session, child, actor=perms.acting_user(request), waitlist=payload.waitlist)
    return Status(201, booking_out(booking, request.user))


@router.post("/kidsroom/bookings/{booking_id}/cancel", response=BookingOut)
@perms.rule(perms.KIDSROOM_BOOK)
def cancel_booking(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    booking = perms.get_for_user(
        _bookings(request), request.user, perms.KIDSROOM_BOOK, pk=booking_id
    )
    return booking_out(kids.cancel(booking, actor=perms.acting_user(request)), request.user)


# --- Check-in and check-out ------------------------------------------------------------------
class CheckInIn(Schema):
    child: Id
    session: Id
    adult_name: str = Field(..., max_length=160, description="who brought the child")


class CheckOutIn(Schema):
    child: Id
    session: Id
    adult: Id | None = Field(None, description="one of the child's adults")
    adult_name: str = Field("", max_length=160, description="or the name the adult gives")


@router.post("/kidsroom/checkins", response={201: BookingOut})
@perms.rule(perms.KIDSROOM_CHECK)
def check_in(request: HttpRequest, payload: CheckInIn) -> Status[dict[str, Any]]:
    session = _session(request, payload.session, perms.KIDSROOM_CHECK)
    child = _child(request, payload.child, perms.CHILD_VIEW)
    booking = kids.check_in(
        session, child, brought_by=payload.adult_name, actor=perms.acting_user(request)
    )
    return Status(201, booking_out(booking, request.user))


@router.post("/kidsroom/checkouts", response={201: BookingOut})
@perms.rule(perms.KIDSROOM_CHECK)
def check_out(request: HttpRequest, payload: CheckOutIn) -> Status[dict[str, Any]]:
    """403 when the adult — chosen or named — must never receive the child; the coordinator
    and the director are alerted."""
    session = _session(request, payload.session, perms.KIDSROOM_CHECK)
    child = _child(request, payload.child, perms.CHILD_VIEW)
    adult = None
    if payload.adult is not None:
        adult = ChildAdult.objects.filter(pk=payload.adult, child=child).first()
        if adult is None:
            raise ValidationError({"adult": _("This adult is not on this child's list.")})
    elif not payload.adult_name.strip():
        raise ValidationError({"adult": _("Choose the adult who collects the child.")})
    booking = kids.check_out(
        session,
        child,
        adult=adult,
        adult_name=payload.adult_name,
        actor=perms.acting_user(request),
    )
    return Status(201, booking_out(booking, request.user))


# --- Shifts ----------------------------------------------------------------------------------
class ShiftOut(Schema):
    id: int
    room: int
    tutor: int
    tutor_name: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime


class ShiftIn(Schema):
    tutor: Id
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: Id | None = Field(None, description="the centre's kids' room unless told")


class ShiftFilters(Window):
    day: dt.date | None = None


def shift_out(s: Shift) -> dict[str, Any]:
    return {
        "id": s.pk,
        "room": s.room_id,
        "tutor": s.tutor_id,
        "tutor_name": person_name(s.tutor),
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
    }


@router.get("/kidsroom/shifts", response=Page[ShiftOut])
@perms.rule(perms.KIDSROOM_VIEW)
def list_shifts(request: HttpRequest, filters: Query[ShiftFilters]) -> dict[str, Any]:
    qs = perms.scope(Shift.objects.select_related("tutor"), request.user, perms.KIDSROOM_VIEW)
    if filters.day is not None:
        qs = qs.filter(starts_at__date__lte=filters.day, ends_at__date__gte=filters.day)
    return {"count": qs.count(), "items": [shift_out(s) for s in window(qs, filters)]}


@router.post("/kidsroom/shifts", response={201: ShiftOut})
@perms.rule(perms.KIDSROOM_BOOK)
def create_shift(request: HttpRequest, payload: ShiftIn) -> Status[dict[str, Any]]:
    """A tutor on duty; children waiting for that time get places as far as the ratio allows."""
    tutor = User.objects.filter(pk=payload.tutor, is_active=True).first()
    rooms = perms.scope(
        Room.objects.filter(kind=Room.Kind.KIDS_ROOM), request.user, perms.KIDSROOM_BOOK
    )
    room = rooms.filter(pk=payload.room).first() if payload.room else None
    if payload.room is None and tutor is not None:
        centres = perms.principal(tutor).roles
        room = (
            rooms.filter(centre_id__in=[c for c in centres if c is not None]).order_by("id").first()
        )
    errors = {}
    if tutor is None:
        errors["tutor"] = _("No such record among yours.")
    if room is None:
        errors["room"] = _("No kids' room of yours for this tutor.")
    if errors:
        raise ValidationError(errors)
    assert tutor is not None
    assert room is not None
    shift = kids.add_shift(
        room, tutor, payload.starts_at, payload.ends_at, actor=perms.acting_user(request)
    )
    return Status(201, shift_out(shift))


@router.delete("/kidsroom/shifts/{shift_id}", response={204: None})
@perms.rule(perms.KIDSROOM_BOOK)
def delete_shift(request: HttpRequest, shift_id: int) -> Status[None]:
    """409 when the children booked for that time would be left without enough tutors."""
    shift = perms.get_for_user(Shift.objects.all(), request.user, perms.KIDSROOM_BOOK, pk=shift_id)
    kids.remove_shift(shift, actor=perms.acting_user(request))
    return Status(204, None)


# --- Alerts ----------------------------------------------------------------------------------
class AlertOut(Schema):
    id: int
    kind: Literal["check_out_blocked", "brought_by_restricted"]
    child: int
    child_name: str
    adult: int | None
    adult_name: str | None
    named: str
    raised_at: dt.datetime
    raised_by: str | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None


class AlertFilters(Window):
    open: bool | None = Field(None, description="true: not yet acknowledged")


def alert_out(a: Alert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "child": a.child_id,
        "child_name": str(a.child),
        "adult": a.adult_id,
        "adult_name": a.adult.name if a.adult else None,
        "named": a.named,
        "raised_at": a.raised_at,
        "raised_by": person_name(a.raised_by),
        "acknowledged_at": a.acknowledged_at,
        "acknowledged_by": person_name(a.acknowledged_by),
    }


def _alerts() -> QuerySet[Alert]:
    return Alert.objects.select_related("child", "adult", "raised_by", "acknowledged_by")


@router.get("/kidsroom/alerts", response=Page[AlertOut])
@perms.rule(perms.KIDSROOM_ALERTS)
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> dict[str, Any]:
    qs = perms.scope(_alerts(), request.user, perms.KIDSROOM_ALERTS)
    if filters.open is not None:
        qs = qs.filter(acknowledged_at__isnull=filters.open)
    return {"count": qs.count(), "items": [alert_out(a) for a in window(qs, filters)]}


@router.post("/kidsroom/alerts/{alert_id}/acknowledge", response=AlertOut)
@perms.rule(perms.KIDSROOM_ALERTS)
def acknowledge_alert(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    alert = perms.get_for_user(_alerts(), request.user, perms.KIDSROOM_ALERTS, pk=alert_id)
    kids.acknowledge(alert, actor=perms.acting_user(request))
    return alert_out(
        perms.get_for_user(_alerts(), request.user, perms.KIDSROOM_ALERTS, pk=alert_id)
    )


# --- Incidents -------------------------------------------------------------------------------
class IncidentOut(Schema):
    id: int
    child: int
    child_name: str
    occurred_at: dt.datetime
    kind: IncidentKind
    what_happened: str
    action_taken: str
    parent_informed: bool
    reported_by: str | None


class IncidentIn(Schema):
    child: Id
    kind: IncidentKind
    what_happened: str = Field(..., min_length=1, max_length=4000)
    action_taken: str = Field(..., min_length=1, max_length=4000)
    parent_informed: bool = False
    occurred_at: dt.datetime | None = None
    session: Id | None = Field(None, description="the session the child was booked for")


class IncidentFilters(Window):
    child: Id | None = None


def incident_out(i: Incident, user: Any) -> dict[str, Any]:
    return {
        "id": i.pk,
        "child": i.child_id,
        "child_name": names.child_label(user, i.child),
        "occurred_at": i.occurred_at,
        "kind": i.kind,
        "what_happened": i.what_happened,
        "action_taken": i.action_taken,
        "parent_informed": i.parent_informed,
        "reported_by": person_name(i.reported_by),
    }


@router.get("/kidsroom/incidents", response=Page[IncidentOut])
@perms.rule(perms.INCIDENT_VIEW)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilters]) -> dict[str, Any]:
    qs = perms.scope(
        Incident.objects.select_related("child__parent", "reported_by"),
        request.user,
        perms.INCIDENT_VIEW,
    )
    if filters.child is not None:
        qs = qs.filter(child_id=filters.child)
    return {
        "count": qs.count(),
        "items": [incident_out(i, request.user) for i in window(qs, filters)],
    }


@router.post("/kidsroom/incidents", response={201: IncidentOut})
@perms.rule(perms.INCIDENT_RECORD)
def create_incident(request: HttpRequest, payload: IncidentIn) -> Status[dict[str, Any]]:
    child = _child(request, payload.child, perms.INCIDENT_RECORD)
    booking = None
    if payload.session is not None:
        booking = Booking.objects.filter(session_id=payload.session, child=child).first()
        if booking is None:
            raise ValidationError({"session": _("This child was not booked for that session.")})
    incident = kids.record_incident(
        child,
        kind=payload.kind,
        what_happened=payload.what_happened,
        action_taken=payload.action_taken,
        parent_informed=payload.parent_informed,
        occurred_at=payload.occurred_at,
        booking=booking,
        actor=perms.acting_user(request),
    )
    return Status(201, incident_out(incident, request.user))
