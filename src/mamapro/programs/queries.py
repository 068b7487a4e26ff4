"""Reads for the coordinator's run pages: constant queries whatever the run's size."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, QuerySet

from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.programs.models import Enrollment, Run
from mamapro.programs.services.enrollment import SeatCounts

PAID, FREE = Enrollment.SeatType.PAID, Enrollment.SeatType.FREE


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


def roster(run: Run) -> Roster:
    out = Roster()
    enrollments = (
        Enrollment.objects.filter(run=run)
        .select_related("participant", "fee")
        .order_by("queued_at", "id")
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
