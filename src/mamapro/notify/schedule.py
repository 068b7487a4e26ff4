"""Messages that come from the calendar rather than from an event: the reminder the day
before each session, and a workshop on a topic she voted for once its run is published.
`./mamapro tick` calls `run(now)` every minute.

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

Workshops: the one link between topics, their votes and runs is `TopicRequest.workshop`, set
when staff mark a topic scheduled. The women who voted for it (and the one who proposed it)
hear of the workshop when the topic is marked scheduled naming a published run (the signal,
in that transaction), or, for a run still a draft then, at the first tick after it is
published (from the reminder hour on the centre's clock), until its day has come. One
message per woman and workshop (`workshop:<run>:<participant>`), however many of its topics
she voted for; none to a woman already holding a place in it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse

from mamapro.centres import clock
from mamapro.centres.models import Centre
from mamapro.kidsroom.models import Booking
from mamapro.notify import outbox
from mamapro.notify.models import Delivery, MessageKind
from mamapro.people.models import Participant
from mamapro.programs.models import Enrollment, Run, Session, TopicRequest, TopicVote

DEFAULT_REMINDER_HOUR = 10


@dataclass(frozen=True)
class ScheduleResult:
    sessions: int = 0
    reminders: int = 0  # delivery rows written or found for this tick's reminders
    workshops: int = 0  # women told of a workshop on a topic they voted for


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


def workshop_key(run_id: int) -> str:
    return f"workshop:{run_id}"


def announce_workshop(run: Run, topic_ids: list[int], now: dt.datetime) -> int:
    """Tell the women who voted for these topics (or proposed one) of the workshop run, each
    once; returns how many were queued now."""
    voters = set(
        TopicVote.objects.filter(topic_id__in=topic_ids).values_list("participant_id", flat=True)
    )
    voters |= set(
        TopicRequest.objects.filter(pk__in=topic_ids, proposed_by__isnull=False).values_list(
            "proposed_by_id", flat=True
        )
    )
    if not voters:
        return 0
    voters -= set(
        Enrollment.objects.filter(
            run=run, participant_id__in=voters, status__in=Enrollment.ACTIVE
        ).values_list("participant_id", flat=True)
    )
    told = set(
        Delivery.objects.filter(
            idempotency_key__in=[f"{workshop_key(run.pk)}:{pk}" for pk in voters]
        ).values_list("participant_id", flat=True)
    )
    women = list(
        Participant.objects.filter(pk__in=voters - told, centre_id=run.centre_id)
        .select_related("centre")
        .order_by("pk")
    )
    if not women:
        return 0
    rows = outbox.queue_many(
        women,
        MessageKind.WORKSHOP,
        key=workshop_key(run.pk),
        subject=run,
        context={
            # Of no use once the workshop's day is over.
            "valid_until": clock.day_bounds(run.starts_on, run.centre)[1].isoformat(),
            "path": reverse("public:run_detail", kwargs={"pk": run.pk}),
            "topic_id": min(topic_ids),
        },
        now=now,
    )
    return len(rows)


def queue_workshops(now: dt.datetime) -> int:
    """Scheduled topics whose workshop run is published and still ahead: the women not yet
    told hear of it (the run was a draft when the topic was scheduled)."""
    earliest = (now - dt.timedelta(days=1)).date()
    topics = TopicRequest.objects.filter(
        status=TopicRequest.Status.SCHEDULED,
        workshop__status=Run.Status.PUBLISHED,
        workshop__starts_on__gte=earliest,
    ).values_list("pk", "workshop_id")
    by_run: dict[int, list[int]] = defaultdict(list)
    for topic_id, run_id in topics:
        by_run[run_id].append(topic_id)
    if not by_run:
        return 0
    told = 0
    for run in Run.objects.filter(pk__in=list(by_run)).select_related("centre").order_by("pk"):
        local = clock.centre_now(run.centre, now)
        # Not at night (as reminders), and only while the workshop is still ahead.
        if local.hour >= reminder_hour() and local.date() <= run.starts_on:
            told += announce_workshop(run, by_run[run.pk], now)
    return told


def run(now: dt.datetime) -> ScheduleResult:
    """Everything the calendar causes at `now`."""
    reminders = queue_reminders(now)
    return ScheduleResult(
        sessions=reminders.sessions,
        reminders=reminders.reminders,
        workshops=queue_workshops(now),
    )
