"""Reads for the coordinator's run pages: constant queries whatever the run's size."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.people import reach
from mamapro.people.models import Participant
from mamapro.programs.models import Enrollment, Run
from mamapro.programs.services.enrollment import SeatCounts

PAID, FREE = Enrollment.SeatType.PAID, Enrollment.SeatType.FREE
# A trainer reaches the women her runs bring her: on the roster (confirmed, completed), offered
# a seat she is about to take, or dropped (her register still lists the no-shows). Not the
# waiting list, which a trainer never sees, nor the women who withdrew.
TRAINER_REACHES = (
    Enrollment.Status.CONFIRMED,
    Enrollment.Status.COMPLETED,
    Enrollment.Status.OFFERED,
    Enrollment.Status.DROPPED,
)


def trainer_reach(user: User) -> Q:
    """`people.reach` rule for trainers: the women enrolled in the runs she teaches."""
    return Q(
        pk__in=Enrollment.objects.filter(
            run__trainer_id=user.pk, status__in=TRAINER_REACHES
        ).values("participant_id")
    )


def sees_seat_types(user: User | AnonymousUser, centre_id: int) -> bool:
    """A free seat says she has a verified circumstance. Seat types, counts per type and
    places in a per-type line are for the people who give and sell seats (coordinators, the
    director, the manager); trainers and communications see totals only."""
    me = perms.principal(user)
    return me.can(perms.ENROLLMENT_EDIT, centre_id) or me.can(perms.FEE_EDIT, centre_id)


def name_order(user: User | AnonymousUser, centre_id: int, prefix: str = "participant__") -> str:
    """What a list of women is sorted by. The search key starts with her real family name, so
    a list in that order would place an alias where the name behind it sorts: only the care
    team, who see the name, get that order; everyone else the roster key (the name shown)."""
    real = perms.principal(user).can(perms.PARTICIPANT_VIEW_SENSITIVE, centre_id)
    return f"{prefix}{'search_key' if real else 'roster_key'}"


def within_reach(
    enrollments: QuerySet[Enrollment], user: User | AnonymousUser
) -> QuerySet[Enrollment]:
    """Enrollments of the women the user's work reaches (people/reach.py)."""
    q = reach.participants_q(user)
    if q is None:
        return enrollments
    return enrollments.filter(participant__in=Participant.objects.filter(q).values("pk"))


def reached_participants(
    user: User | AnonymousUser, enrollments: list[Enrollment]
) -> set[int] | None:
    """Which of these enrollments' women the user's work reaches; None: all of them. The care
    team and the manager reach every woman of their centres (people/reach.py): no query for
    them; for the others one."""
    me = perms.principal(user)
    whole = {
        e.centre_id
        for e in enrollments
        if me.can(perms.PARTICIPANT_VIEW_SENSITIVE, e.centre_id)
        or me.can(perms.PARTICIPANT_VIEW_CONTACT, e.centre_id)
    }
    ask = {e.participant_id for e in enrollments if e.centre_id not in whole}
    q = reach.participants_q(user)
    if not ask or q is None:
        return None
    found = set(Participant.objects.filter(q, pk__in=ask).values_list("pk", flat=True))
    return found | {e.participant_id for e in enrollments if e.centre_id in whole}


@dataclass(frozen=True)
class SeatTotals:
    """A run's seats without their types: what trainers and communications see."""

    seats: int
    confirmed: int
    offered: int
    waiting: int
    left: int


def totals(counts: SeatCounts) -> SeatTotals:
    return SeatTotals(
        seats=counts.paid_seats + counts.free_seats,
        confirmed=counts.paid_confirmed + counts.free_confirmed,
        offered=counts.paid_offered + counts.free_offered,
        waiting=counts.paid_waitlist + counts.free_waitlist,
        left=counts.left(PAID) + counts.left(FREE),
    )


def visible_runs(user: User | AnonymousUser, centre_id: int | None) -> QuerySet[Run]:
    return perms.scope(
        Run.objects.select_related("course", "centre", "trainer"),
        user,
        perms.PROGRAM_VIEW,
        only_centre=centre_id,
    )


def counts_for(runs: list[Run]) -> dict[int, SeatCounts]:
    """Seat counts of many runs in one query (the list page)."""
    tally: dict[int, Counter[tuple[str, str]]] = defaultdict(Counter)
    rows = (
        Enrollment.objects.filter(
            run__in=runs, status__in=[*Enrollment.HOLDS_SEAT, Enrollment.Status.WAITLISTED]
        )
        .values_list("run_id", "seat_type", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for run_id, seat_type, status, n in rows:
        tally[run_id][(seat_type, status)] = n
    out = {}
    for run in runs:
        c = tally[run.pk]
        out[run.pk] = SeatCounts(
            paid_seats=run.paid_seats,
            free_seats=run.free_seats,
            paid_confirmed=c[(PAID, "confirmed")],
            free_confirmed=c[(FREE, "confirmed")],
            paid_offered=c[(PAID, "offered")],
            free_offered=c[(FREE, "offered")],
            paid_waitlist=c[(PAID, "waitlisted")],
            free_waitlist=c[(FREE, "waitlisted")],
        )
    return out


@dataclass
class Roster:
    """A run's enrollments grouped the way the coordinator reads them."""

    confirmed: list[Enrollment] = field(default_factory=list)
    offered: list[Enrollment] = field(default_factory=list)
    paid_waitlist: list[Enrollment] = field(default_factory=list)
    free_waitlist: list[Enrollment] = field(default_factory=list)
    ended: list[Enrollment] = field(default_factory=list)


def roster(run: Run, user: User | AnonymousUser) -> Roster:
    """The run's women the user's work reaches: in the order they joined for those who give
    and sell seats; by the name shown for everyone else, since the order of joining puts the
    free-seat queue in a block of its own (an attack on the demo read seat types from it)."""
    out = Roster()
    if sees_seat_types(user, run.centre_id):
        order = ("queued_at", "id")
    else:
        order = (name_order(user, run.centre_id), "id")
    enrollments = (
        within_reach(Enrollment.objects.filter(run=run), user)
        .select_related("participant", "fee")
        .order_by(*order)
    )
    for e in enrollments:
        if e.status in (Enrollment.Status.CONFIRMED, Enrollment.Status.COMPLETED):
            out.confirmed.append(e)
        elif e.status == Enrollment.Status.OFFERED:
            out.offered.append(e)
        elif e.status == Enrollment.Status.WAITLISTED:
            (out.paid_waitlist if e.seat_type == PAID else out.free_waitlist).append(e)
        else:
            out.ended.append(e)
    return out
