"""API for enrollments (seats, waitlists, offers) and fees, on the programmes router.

Who sees what in an enrollment, per centre:
- the list and a single enrollment: any role that reads programmes (PROGRAM_VIEW). The
  trainer needs her roster, the manager the fees, the tutor who is coming with children;
- her id and name: only with PARTICIPANT_VIEW there (never for communications);
- the seat type: a free seat says she has a verified circumstance, which is sensitive
  (`eligibility_verified`), so next to her name it is shown only to roles that may see that
  (coordinators, the director) or that collect the fees (the manager), and so is her
  place in line (places restart per seat type); never to trainers or communications;
- the fee: FEE_EDIT. Circumstances: never.
Changing an enrollment (enroll, withdraw, offers, seat type) needs ENROLLMENT_EDIT; all seat
logic is in services/enrollment.py.
"""

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status

from mamapro.core import permissions as perms
from mamapro.core.api import Page
from mamapro.core.models import User
from mamapro.people.models import Child, Participant

# The programmes router: these operations join api.py's (see the end of that module).
from mamapro.programs import queries
from mamapro.programs.api import Id, Window, money, router, window
from mamapro.programs.models import Enrollment, Fee, Run
from mamapro.programs.services import enrollment as seats

SeatType = Literal["paid", "free"]
EnrollmentStatus = Literal[
    "confirmed", "waitlisted", "offered", "withdrawn", "completed", "dropped"
]
FeeStatus = Literal["due", "paid", "waived"]
EnrollmentSource = Literal["staff", "public", "api"]


@dataclass(frozen=True)
class EnrollmentAccess:
    names: bool
    seat_type: bool
    fees: bool
    real_names: bool = False  # her name even when she chose a roster alias


def enrollment_access(user: User | AnonymousUser, centre_id: int) -> EnrollmentAccess:
    me = perms.principal(user)
    names = me.can(perms.PARTICIPANT_VIEW, centre_id)
    fees = me.can(perms.FEE_EDIT, centre_id)
    sensitive = me.can(perms.PARTICIPANT_VIEW_SENSITIVE, centre_id)
    return EnrollmentAccess(
        names=names, seat_type=sensitive or fees, fees=fees, real_names=sensitive
    )


class FeeBrief(Schema):
    id: int
    amount: str = Field(..., examples=["15000.00"])
    currency: str
    status: FeeStatus
    paid_at: dt.datetime | None


class EnrollmentOut(Schema):
    id: int
    run: int
    run_title: str
    centre: int
    status: EnrollmentStatus
    waitlist_position: int | None = Field(..., description="1 = next in line; null unless waiting")
    offer_expires_at: dt.datetime | None
    source: EnrollmentSource = Field(
        ...,
        description="`public`: asked for on the public form; while `offered`, a seat held "
        "for the centre to confirm (`/accept`) before `offer_expires_at`",
    )
    queued_at: dt.datetime
    confirmed_at: dt.datetime | None
    ended_at: dt.datetime | None
    end_reason: str
    seat_type: SeatType | None = None
    participant: int | None = None
    participant_name: str | None = None
    fee: FeeBrief | None = None


class EnrollmentIn(Schema):
    participant: Id
    run: Id
    seat_type: SeatType
    kids_room_children: list[Id] = Field(
        default_factory=list, description="her children for the kids' room during the run"
    )


class SeatTypeIn(Schema):
    seat_type: SeatType


class EnrollmentFilters(Window):
    run: Id | None = None
    participant: Id | None = None
    status: EnrollmentStatus | None = None


def fee_brief(fee: Fee) -> dict[str, Any]:
    return {
        "id": fee.pk,
        "amount": money(fee.amount),
        "currency": fee.currency,
        "status": fee.status,
        "paid_at": fee.paid_at,
    }


def full_name(participant: Participant) -> str:
    return f"{participant.given_name} {participant.family_name}".strip()


def shown_name(participant: Participant, *, real: bool) -> str:
    """Her roster alias, if she chose one, for everyone but the care team."""
    return full_name(participant) if real or not participant.alias else participant.alias


def enrollment_out(
    e: Enrollment, access: EnrollmentAccess, positions: dict[int, int]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.pk,
        "run": e.run_id,
        "run_title": e.run.display_title,
        "centre": e.centre_id,
        "status": e.status,
        # Places restart per seat type, so a place says the type: only with `seat_type`.
        "waitlist_position": positions.get(e.pk)
        if e.status == seats.Status.WAITLISTED and access.seat_type
        else None,
        "offer_expires_at": e.offer_expires_at,
        "source": e.source,
        "queued_at": e.queued_at,
        "confirmed_at": e.confirmed_at,
        "ended_at": e.ended_at,
        "end_reason": e.end_reason,
    }
    if access.seat_type:
        out["seat_type"] = e.seat_type
    if access.names:
        out["participant"] = e.participant_id
        out["participant_name"] = shown_name(e.participant, real=access.real_names)
    if access.fees:
        fee = getattr(e, "fee", None)
        out["fee"] = fee_brief(fee) if fee is not None else None
    return out


def _with_related(qs: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    return qs.select_related("participant", "fee", "run__course")


def respond(request: HttpRequest, enrollments: list[Enrollment]) -> list[dict[str, Any]]:
    waiting = [e for e in enrollments if e.status == seats.Status.WAITLISTED]
    if len(waiting) == 1:
        # One answer (POST, GET one): the service knows her place when it has just put her in
        # line; otherwise count the women ahead of her, not the whole line.
        known = getattr(waiting[0], "waitlist_position", None)
        positions = {waiting[0].pk: known or seats.waitlist_position(waiting[0]) or 0}
    else:
        positions = seats.waitlist_positions({e.run_id for e in waiting}) if waiting else {}
    access: dict[int, EnrollmentAccess] = {}
    # A name only for a woman the user's work reaches (a trainer: her own runs').
    reached = queries.reached_participants(request.user, enrollments)
    out = []
    for e in enrollments:
        if e.centre_id not in access:
            access[e.centre_id] = enrollment_access(request.user, e.centre_id)
        mine = access[e.centre_id]
        if reached is not None and e.participant_id not in reached:
            mine = replace(mine, names=False)
        out.append(enrollment_out(e, mine, positions))
    return out


def _respond_one(request: HttpRequest, enrollment_id: int) -> dict[str, Any]:
    return respond(request, [_with_related(Enrollment.objects.all()).get(pk=enrollment_id)])[0]


def _enrollment(request: HttpRequest, enrollment_id: int, capability: str) -> Enrollment:
    return perms.get_for_user(
        _with_related(Enrollment.objects.all()), request.user, capability, pk=enrollment_id
    )


@router.get("/enrollments", response=Page[EnrollmentOut], exclude_unset=True)
@perms.rule(perms.PROGRAM_VIEW)
def list_enrollments(request: HttpRequest, filters: Query[EnrollmentFilters]) -> dict[str, Any]:
    qs = perms.scope(_with_related(Enrollment.objects.all()), request.user, perms.PROGRAM_VIEW)
    if filters.run is not None:
        qs = qs.filter(run_id=filters.run)
    if filters.participant is not None:
        # Asking about one woman needs the right to know who she is.
        qs = queries.within_reach(
            perms.scope(qs, request.user, perms.PARTICIPANT_VIEW), request.user
        ).filter(participant_id=filters.participant)
    if filters.status:
        qs = qs.filter(status=filters.status)
    # Not by seat type: a roster grouped paid/free would tell a trainer who sits on a free seat.
    qs = qs.order_by("run_id", "queued_at", "id")
    return {"items": respond(request, window(qs, filters)), "count": qs.count()}


@router.post("/enrollments", response={201: EnrollmentOut}, exclude_unset=True)
@perms.rule(perms.ENROLLMENT_EDIT)
def create_enrollment(request: HttpRequest, payload: EnrollmentIn) -> Status[dict[str, Any]]:
    """Her seat is `confirmed` if one of that type is free and nobody is waiting for it;
    otherwise she is `waitlisted` with her `waitlist_position`. 409 if already enrolled."""
    user = request.user
    errors = {}
    run = perms.scope(Run.objects.all(), user, perms.PROGRAM_VIEW).filter(pk=payload.run).first()
    if run is None:
        errors["run"] = _("No such run among yours.")
    participant = (
        perms.scope(Participant.objects.all(), user, perms.PARTICIPANT_VIEW)
        .filter(pk=payload.participant)
        .first()
    )
    if participant is None:
        errors["participant"] = _("No such participant among yours.")
    wanted = set(payload.kids_room_children)
    children = list(
        perms.scope(Child.objects.all(), user, perms.CHILD_VIEW).filter(pk__in=wanted)
        if wanted
        else []
    )
    if len(children) != len(wanted):
        errors["kids_room_children"] = _("No such child among yours.")
    if errors:
        raise ValidationError(errors)
    assert run is not None
    assert participant is not None
    perms.require(user, perms.ENROLLMENT_EDIT, run.centre_id)
    enrollment = seats.enroll(
        run,
        participant,
        payload.seat_type,
        actor=perms.acting_user(request),
        source=Enrollment.Source.API,
        kids_room_children=children,
        participant_is_fresh=True,  # read from the database a moment ago, above
    )
    # The service's own objects carry the run, her and her fee: no second read.
    return Status(201, respond(request, [enrollment])[0])


@router.get("/enrollments/{enrollment_id}", response=EnrollmentOut, exclude_unset=True)
@perms.rule(perms.PROGRAM_VIEW)
def get_enrollment(request: HttpRequest, enrollment_id: int) -> dict[str, Any]:
    return respond(request, [_enrollment(request, enrollment_id, perms.PROGRAM_VIEW)])[0]


@router.post("/enrollments/{enrollment_id}/withdraw", response=EnrollmentOut, exclude_unset=True)
@perms.rule(perms.ENROLLMENT_EDIT)
def withdraw(request: HttpRequest, enrollment_id: int) -> dict[str, Any]:
    """She leaves; a seat she held is offered to the next woman waiting for that seat type."""
    enrollment = _enrollment(request, enrollment_id, perms.ENROLLMENT_EDIT)
    seats.withdraw(enrollment, actor=perms.acting_user(request))
    return _respond_one(request, enrollment.pk)


@router.post("/enrollments/{enrollment_id}/accept", response=EnrollmentOut, exclude_unset=True)
@perms.rule(perms.ENROLLMENT_EDIT)
def accept_offer(request: HttpRequest, enrollment_id: int) -> dict[str, Any]:
    """She takes the seat offered to her, or the centre confirms the seat held for her public
    application (`source` public): 409 without an open offer or hold, or once it expired."""
    enrollment = _enrollment(request, enrollment_id, perms.ENROLLMENT_EDIT)
    seats.accept_offer(enrollment, actor=perms.acting_user(request))
    return _respond_one(request, enrollment.pk)


@router.post("/enrollments/{enrollment_id}/decline", response=EnrollmentOut, exclude_unset=True)
@perms.rule(perms.ENROLLMENT_EDIT)
def decline_offer(request: HttpRequest, enrollment_id: int) -> dict[str, Any]:
    """She declines the offered seat; it passes to the next woman in line."""
    enrollment = _enrollment(request, enrollment_id, perms.ENROLLMENT_EDIT)
    seats.decline_offer(enrollment, actor=perms.acting_user(request))
    return _respond_one(request, enrollment.pk)


@router.post("/enrollments/{enrollment_id}/seat-type", response=EnrollmentOut, exclude_unset=True)
@perms.rule(perms.ENROLLMENT_EDIT)
def move_seat_type(request: HttpRequest, enrollment_id: int, payload: SeatTypeIn) -> dict[str, Any]:
    """Move her to the other seat type: a free seat needs her eligibility verified; a
    confirmed seat moves only into a free place (409 otherwise), a waiting one joins that line."""
    enrollment = _enrollment(request, enrollment_id, perms.ENROLLMENT_EDIT)
    seats.move_seat_type(enrollment, payload.seat_type, actor=perms.acting_user(request))
    return _respond_one(request, enrollment.pk)


# --- Fees ------------------------------------------------------------------------------------
class FeeOut(FeeBrief):
    enrollment: int
    run: int
    run_title: str
    centre: int
    note: str
    participant: int | None = None
    participant_name: str | None = None


class FeePatch(Schema):
    status: FeeStatus


class FeeFilters(Window):
    run: Id | None = None
    status: FeeStatus | None = None


def _fees() -> QuerySet[Fee]:
    return Fee.objects.select_related("enrollment__participant", "enrollment__run__course")


def _respond_fees(request: HttpRequest, fees: list[Fee]) -> list[dict[str, Any]]:
    me = perms.principal(request.user)
    out = []
    for fee in fees:
        row = {
            **fee_brief(fee),
            "enrollment": fee.enrollment_id,
            "run": fee.enrollment.run_id,
            "run_title": fee.enrollment.run.display_title,
            "centre": fee.centre_id,
            "note": fee.note,
        }
        if me.can(perms.PARTICIPANT_VIEW, fee.centre_id):
            row["participant"] = fee.enrollment.participant_id
            row["participant_name"] = shown_name(
                fee.enrollment.participant,
                real=me.can(perms.PARTICIPANT_VIEW_SENSITIVE, fee.centre_id),
            )
        out.append(row)
    return out


@router.get("/fees", response=Page[FeeOut], exclude_unset=True)
@perms.rule(perms.FEE_EDIT)
def list_fees(request: HttpRequest, filters: Query[FeeFilters]) -> dict[str, Any]:
    qs = perms.scope(_fees(), request.user, perms.FEE_EDIT)
    if filters.run is not None:
        qs = qs.filter(enrollment__run_id=filters.run)
    if filters.status:
        qs = qs.filter(status=filters.status)
    qs = qs.order_by("enrollment__run_id", "id")
    return {"items": _respond_fees(request, window(qs, filters)), "count": qs.count()}


@router.patch("/fees/{fee_id}", response=FeeOut, exclude_unset=True)
@perms.rule(perms.FEE_EDIT)
def update_fee(request: HttpRequest, fee_id: int, payload: FeePatch) -> dict[str, Any]:
    """Mark a fee paid, waived, or due again."""
    fee = perms.get_for_user(_fees(), request.user, perms.FEE_EDIT, pk=fee_id)
    seats.set_fee_status(fee, payload.status, actor=perms.acting_user(request))
    return _respond_fees(request, [_fees().get(pk=fee.pk)])[0]
