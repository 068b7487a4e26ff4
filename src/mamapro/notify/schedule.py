"""Messages that come from the calendar rather than from an event: the reminder the day
before each session. `./mamapro tick` calls `run(now)` every minute.

Reminders: from `REMINDER_HOUR` (10:00 by default, setting `NOTIFY_REMINDER_HOUR`) on her
centre's clock, every woman holding a confirmed seat of a session that starts tomorrow (by
that centre's clock) is queued a reminder, with her children's kids'-room bookings for that
session (how many, nothing about them). Not at midnight: a message at 00:01 is no kindness,
and the safe-hours gate then makes it wait for her own window (the outbox's `waiting`).

Idempotent across ticks: the key `reminder:<session>:<participant>` gives one message per
woman and session, and the women already queued are left out before anything is written,
so a tick after the first costs a few reads. A woman confirmed later in the day is picked up
by the next tick. Queries: a constant number per run, plus `outbox.queue_many`'s constant per
(session, number of children booked) group.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q

from mamapro.centres import clock
from mamapro.centres.models import Centre
from mamapro.kidsroom.models import Booking
from mamapro.notify import outbox
from mamapro.notify.models import Delivery, MessageKind
from mamapro.people.models import Participant
from mamapro.programs.models import Enrollment, Run, Session

DEFAULT_REMINDER_HOUR = 10


@dataclass(frozen=True)
class ScheduleResult:
    sessions: int = 0
    reminders: int = 0  # delivery rows written or found for this tick's reminders


def reminder_hour() -> int:
    return int(getattr(settings, "NOTIFY_REMINDER_HOUR", DEFAULT_REMINDER_HOUR))


def reminder_key(session_id: int) -> str:
    """The prefix `queue_many` suffixes with each woman's id."""
    return f"reminder:{session_id}"


def _tomorrow_window(centres: list[Centre], now: dt.datetime) -> Q | None:
    """Sessions starting tomorrow by each centre's clock, for the centres past the hour."""
    window = Q()
    any_centre = False
    hour = reminder_hour()
    for centre in centres:
        local = clock.centre_now(centre, now)
        if local.hour < hour:
            continue
        start, end = clock.day_bounds(local.date() + dt.timedelta(days=1), centre)
        window |= Q(centre_id=centre.pk, starts_at__gte=start, starts_at__lt=end)
        any_centre = True
    return window if any_centre else None


def due_reminders(
    now: dt.datetime,
) -> list[tuple[Session, list[Participant], dict[int, int]]]:
    """(session, the women to remind not yet reminded, her id → children booked)."""
    centres = list(Centre.objects.filter(is_active=True).only("id", "timezone"))
    window = _tomorrow_window(centres, now)
    if window is None:
        return []
    sessions = list(
        Session.objects.filter(window, cancelled=False, run__status=Run.Status.PUBLISHED)
        .select_related("run")
        .order_by("starts_at", "id")
    )
    if not sessions:
        return []
    by_run: dict[int, list[Participant]] = defaultdict(list)
    confirmed = (
        Enrollment.objects.filter(
            run_id__in={s.run_id for s in sessions}, status=Enrollment.Status.CONFIRMED
        )
        .select_related("participant__centre")
        .order_by("participant_id")
    )
    for enrollment in confirmed:
        by_run[enrollment.run_id].append(enrollment.participant)
    wanted = {
        f"{reminder_key(s.pk)}:{p.pk}": (s.pk, p.pk) for s in sessions for p in by_run[s.run_id]
    }
    done = set(
        Delivery.objects.filter(idempotency_key__in=list(wanted)).values_list(
            "idempotency_key", flat=True
        )
    )
    children: dict[tuple[int, int], int] = {
        (row["session_id"], row["child__parent_id"]): row["n"]
        for row in Booking.objects.filter(session__in=sessions, status=Booking.Status.BOOKED)
        .values("session_id", "child__parent_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    due = []
    for session in sessions:
        women = [
            p for p in by_run[session.run_id] if f"{reminder_key(session.pk)}:{p.pk}" not in done
        ]
        if women:
            kids = {p.pk: children.get((session.pk, p.pk), 0) for p in women}
            due.append((session, women, kids))
    return due


def queue_reminders(now: dt.datetime) -> ScheduleResult:
    sessions = reminders = 0
    for session, women, kids in due_reminders(now):
        sessions += 1
        # One context per call: women with the same number of children booked go together.
        groups: dict[int, list[Participant]] = defaultdict(list)
        for woman in women:
            groups[kids[woman.pk]].append(woman)
        for count, group in sorted(groups.items()):
            rows = outbox.queue_many(
                group,
                MessageKind.REMINDER,
                key=reminder_key(session.pk),
                subject=session,
                context={
                    "valid_until": session.starts_at.isoformat(),
                    "kids_room": count,
                },
                now=now,
            )
            reminders += len(rows)
    return ScheduleResult(sessions=sessions, reminders=reminders)


def run(now: dt.datetime) -> ScheduleResult:
    """Everything the calendar causes at `now` (today: the reminders)."""
    return queue_reminders(now)
