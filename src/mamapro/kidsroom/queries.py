"""Reads for the kids' room pages: the day's sessions with their children, tutors on duty and
what the room lacks; each a fixed number of queries, whatever the day holds."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Coalesce

from mamapro.centres import clock
from mamapro.centres.models import Room
from mamapro.kidsroom.models import Booking, Shift
from mamapro.kidsroom.services import HIGH, Ratio, ratio_for
from mamapro.people.models import Child, ChildAdult, Consent, active_consent
from mamapro.programs.models import Session


@dataclass
class SessionRow:
    """One stretch of time in the room: a course session, or a slot of its own (a mother's
    individual appointment, never named on the board)."""

    session: Session | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    centre_id: int
    zone: ZoneInfo  # the centre's: the row's times are shown on its clock
    booked: list[Booking] = field(default_factory=list)
    waiting: int = 0
    tutors: int = 0  # the fewest on duty at any moment of the session
    tutors_needed: int = 0
    capacity: int = 0

    @property
    def in_room(self) -> int:
        return sum(1 for b in self.booked if b.in_room)

    @property
    def checked_in(self) -> int:
        return sum(1 for b in self.booked if b.checked_in_at is not None)

    @property
    def short_of_tutors(self) -> int:
        return max(0, self.tutors_needed - self.tutors)


def _fewest_on_duty(shifts: list[Shift], start: dt.datetime, end: dt.datetime) -> int:
    points = sorted(
        {start, end} | {p for s in shifts for p in (s.starts_at, s.ends_at) if start < p < end}
    )
    fewest = None
    for a, b in pairwise(points):
        n = len({s.tutor_id for s in shifts if s.starts_at <= a and b <= s.ends_at})
        fewest = n if fewest is None else min(fewest, n)
    return fewest or 0


def day_board(
    centre_ids: list[int] | None,
    day: dt.date,
    *,
    adults: QuerySet[ChildAdult],
    reach: Q | None = None,
    restricted: bool = False,
) -> list[SessionRow]:
    """The day's sessions that have children booked or waiting, at `centre_ids` (None: all),
    each with its booked children (needs card and adults loaded) and the tutors on duty.
    `reach` (a Q over Child) limits the children to those the user's work reaches; with
    `restricted`, each child's restricted adults are loaded too (`child.restricted`).
    A session is on `day` by its own centre's clock (centres/clock.py)."""
    start, end = clock.widest_bounds(day)
    bookings = Booking.objects.filter(
        Q(session__starts_at__gte=start, session__starts_at__lt=end, session__cancelled=False)
        | Q(session__isnull=True, starts_at__gte=start, starts_at__lt=end)
    ).exclude(status=Booking.Status.CANCELLED)
    if centre_ids is not None:
        bookings = bookings.filter(centre_id__in=centre_ids)
    if reach is not None:
        bookings = bookings.filter(child__in=Child.objects.filter(reach).values("pk"))
    prefetch: list[Prefetch[Any]] = [Prefetch("child__adults", queryset=adults)]
    if restricted:
        prefetch.append(
            Prefetch(
                "child__adults",
                queryset=ChildAdult.objects.filter(authorised=False).order_by("id"),
                to_attr="restricted",
            )
        )
    # Her photo only while her mother's photo consent holds (no extra query per child).
    bookings = bookings.annotate(
        photo_ok=Exists(
            Consent.objects.filter(
                active_consent(),
                participant_id=OuterRef("child__parent_id"),
                kind=Consent.Kind.PHOTOS,
            )
        )
    )
    found = clock.rows_on_day(
        bookings.select_related(
            "session__run__course", "session__room", "child__parent", "collected_by", "room"
        )
        .select_related("centre")
        .annotate(begins=Coalesce("session__starts_at", "starts_at"))
        .order_by("begins", "session_id", "child__given_name", "id"),
        day,
        moment=lambda b: b.window[0],
        centre=lambda b: b.centre,
    )
    # Loaded for the day's bookings only, once the other days' are dropped.
    prefetch_related_objects(found, *prefetch)
    rows_by_session: dict[Any, SessionRow] = {}
    for b in found:
        begins, ends = b.window
        key = b.session_id if b.session_id is not None else ("slot", begins, ends)
        row = rows_by_session.setdefault(
            key,
            SessionRow(
                b.session,
                begins,
                ends,
                b.centre_id,
                clock.centre_zone(b.centre),
                capacity=b.room.capacity,
            ),
        )
        if b.status == Booking.Status.BOOKED:
            row.booked.append(b)
        else:
            row.waiting += 1
    rows = list(rows_by_session.values())
    if not rows:
        return rows
    shifts = list(
        Shift.objects.filter(
            centre_id__in={r.centre_id for r in rows}, starts_at__lt=end, ends_at__gt=start
        )
    )
    ratios: dict[int, Ratio] = {}
    for row in rows:
        if row.centre_id not in ratios:
            ratios[row.centre_id] = ratio_for(row.centre_id)
        mine = [sh for sh in shifts if sh.centre_id == row.centre_id]
        row.tutors = _fewest_on_duty(mine, row.starts_at, row.ends_at)
        high = sum(1 for b in row.booked if b.child.support_level == HIGH)
        row.tutors_needed = ratios[row.centre_id].tutors_needed(len(row.booked) - high, high)
    return rows


def diet_counts(rows: list[SessionRow]) -> tuple[int, list[tuple[str, int]], int]:
    """Children expected in the day (each once), how many need each diet, how many have an
    allergy recorded: the snack order, without a name."""
    children: dict[int, Child] = {}
    for row in rows:
        for b in row.booked:
            children[b.child_id] = b.child
    diets: Counter[str] = Counter()
    for child in children.values():
        diets.update(child.diet_labels())
    allergies = sum(1 for c in children.values() if c.allergies.strip())
    return len(children), sorted(diets.items()), allergies


def kids_rooms(centre_ids: list[int] | None) -> QuerySet[Room]:
    rooms = Room.objects.filter(kind=Room.Kind.KIDS_ROOM)
    return rooms if centre_ids is None else rooms.filter(centre_id__in=centre_ids)
