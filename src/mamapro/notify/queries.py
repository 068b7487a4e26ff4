"""Reads for the staff's message pages and the /deliveries API: each a fixed number of queries.

Deliveries are personal data even without their text (a survivor's deliveries show when and
how the centre reaches her): every list is scoped to the centres where the user holds
MESSAGES_VIEW, and the pages audit what they show (notify/views_staff.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import CharField, Count, Max, Q, QuerySet
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from mamapro.centres import clock
from mamapro.centres.models import Centre
from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.notify import outbox, sender
from mamapro.notify.models import Channel, Delivery
from mamapro.people import safe_contact
from mamapro.people.models import Participant
from mamapro.programs.models import Certificate, Enrollment, Run, Session

# The women a message to a run's roster reaches: those who hold a seat on it (or held one,
# on a run that has ended: a follow-up after the course).
ROSTER_STATUSES = (Enrollment.Status.CONFIRMED, Enrollment.Status.COMPLETED)
MESSAGE_CHANNELS = tuple(c.value for c in Channel)
Status = Delivery.Status


def _ids_as_text(qs: QuerySet[Any]) -> QuerySet[Any]:
    # subject_id is text (it names rows of several tables): compare like with like.
    return qs.annotate(sid=Cast("pk", CharField())).values("sid")


def scoped(user: User | AnonymousUser) -> QuerySet[Delivery]:
    """The deliveries to women at the centres where the user reads messages."""
    return perms.scope(
        Delivery.objects.filter(participant__isnull=False), user, perms.MESSAGES_VIEW
    )


def with_people(qs: QuerySet[Delivery]) -> QuerySet[Delivery]:
    return qs.select_related("participant", "participant__centre", "centre")


def for_participant(participant: Participant) -> QuerySet[Delivery]:
    return Delivery.objects.filter(participant=participant).order_by("-created_at", "-id")


def about_run(run: Run | int) -> Q:
    """Deliveries about a run: the run itself (a roster message), a seat on it, one of its
    sessions (a reminder, a no-show) or its certificates."""
    run_id = run if isinstance(run, int) else run.pk
    return (
        Q(subject_type="programs.run", subject_id=str(run_id))
        | Q(
            subject_type="programs.enrollment",
            subject_id__in=_ids_as_text(Enrollment.objects.filter(run_id=run_id)),
        )
        | Q(
            subject_type="programs.session",
            subject_id__in=_ids_as_text(Session.objects.filter(run_id=run_id)),
        )
        | Q(
            subject_type="programs.certificate",
            subject_id__in=_ids_as_text(Certificate.objects.filter(enrollment__run_id=run_id)),
        )
    )


def for_run(run: Run) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        about_run(run), participant__isnull=False, centre_id=run.centre_id
    ).order_by("-created_at", "-id")


def failed(
    user: User | AnonymousUser,
    centre_ids: Sequence[int] | None,
    *,
    channel: str = "",
    kind: str = "",
    before: int | None = None,
) -> QuerySet[Delivery]:
    """Failed deliveries, newest first, keyed by id (`before`: the last id of the page seen)."""
    qs = scoped(user).filter(status=Status.FAILED)
    if centre_ids is not None:
        qs = qs.filter(centre_id__in=centre_ids)
    if channel:
        qs = qs.filter(channel=channel)
    if kind:
        qs = qs.filter(kind=kind)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return qs.order_by("-pk")


def roster_women(run: Run) -> list[Participant]:
    """The women on the run's roster, in the order they joined (ids only matter here)."""
    return list(
        Participant.objects.filter(enrollments__run=run, enrollments__status__in=ROSTER_STATUSES)
        .select_related("centre")
        .distinct()
        .order_by("pk")
    )


@dataclass(frozen=True)
class Reach:
    """What a message to these women would do now, by the gate's rules: counts only."""

    total: int
    now: int  # a channel is open to her now
    later: int  # only her safe hours hold it back: it waits for the window
    refused: int  # no channel may carry it (no consent, no contact, no safe channel…)
    discreet: int  # of those reached, how many get the discreet variant
    # The (language, discreet) pairs among the women reached: what previews to show.
    variants: frozenset[tuple[str, bool]] = frozenset()

    @property
    def reached(self) -> int:
        return self.now + self.later


def reach(women: Sequence[Participant], at: dt.datetime | None = None) -> Reach:
    """What the outbox's first gate pass (`outbox.plan`, the one `queue_many` makes) would
    decide for each woman now, with the gate's facts read for all of them at once."""
    at = at or timezone.now()
    facts = outbox.GateFacts.load([w.pk for w in women], at)
    configured = outbox.configured_channels()
    now = later = refused = discreet = 0
    variants: set[tuple[str, bool]] = set()
    for woman in women:
        planned = outbox.plan(woman, facts, channel=None, at=at, configured=configured)
        if planned.status == Status.CANCELLED:
            refused += 1
            continue
        if planned.status == Status.WAITING:
            later += 1
        else:
            now += 1
        discreet += planned.discreet
        variants.add((woman.language, planned.discreet))
    return Reach(len(women), now, later, refused, discreet, frozenset(variants))


@dataclass(frozen=True)
class ChannelHealth:
    channel: str
    last_success: dt.datetime | None
    finished_today: int
    failed_today: int
    queued: int
    in_doubt: int

    @property
    def failure_rate(self) -> float | None:
        if not self.finished_today:
            return None
        return self.failed_today / self.finished_today


def _midnight(centre: Centre, now: dt.datetime) -> dt.datetime:
    return clock.day_bounds(clock.centre_today(centre, now), centre)[0]


def channel_health(
    centres: Iterable[Centre], now: dt.datetime | None = None
) -> dict[str, ChannelHealth]:
    """Per channel, over these centres (one query): the newest success, today's failures
    against today's finished sends (each centre's today, in its own zone), what waits to go,
    and sends in doubt (claimed by a worker that never came back)."""
    now = now or timezone.now()
    centres = list(centres)
    out = {ch: ChannelHealth(ch, None, 0, 0, 0, 0) for ch in MESSAGE_CHANNELS}
    if not centres:
        return out
    # A failed row has no time of its own: its last attempt's claim, else when it was due.
    ended = Coalesce("claimed_at", "send_after")
    today_sent = Q()
    today_failed = Q()
    for centre in centres:
        start = _midnight(centre, now)
        today_sent |= Q(centre_id=centre.pk, sent_at__gte=start)
        today_failed |= Q(centre_id=centre.pk, failed_since__gte=start)
    success = Q(status__in=(Status.SENT, Status.DELIVERED))
    fail = Q(status=Status.FAILED)
    rows = (
        Delivery.objects.filter(centre__in=centres)
        .annotate(failed_since=ended)
        .values("channel")
        .annotate(
            last=Max("sent_at", filter=success),
            sent_today=Count("pk", filter=success & today_sent),
            failed_today=Count("pk", filter=fail & today_failed),
            queued=Count("pk", filter=Q(status__in=(Status.QUEUED, Status.WAITING))),
            # A claim older than the worker's lease (it died between the provider's answer
            # and writing it down), or one the recovery could not settle and left to staff.
            doubt=Count(
                "pk",
                filter=Q(status=Status.SENDING, claimed_at__lt=now - sender.LEASE)
                | Q(status=Status.FAILED, reason=outbox.IN_DOUBT),
            ),
        )
    )
    for row in rows:
        out[row["channel"]] = ChannelHealth(
            channel=row["channel"],
            last_success=row["last"],
            finished_today=row["sent_today"] + row["failed_today"],
            failed_today=row["failed_today"],
            queued=row["queued"],
            in_doubt=row["doubt"],
        )
    return out


def run_words(run: Run) -> list[str]:
    """What a message to this run's roster must not say to a woman who gets discreet
    messages: the course, its rooms, the centre's name and address (one query for rooms)."""
    rooms = (
        Session.objects.filter(run=run, room__isnull=False)
        .values_list("room__name", flat=True)
        .distinct()
    )
    return safe_contact.subject_words(
        run.display_title, run.centre.name, run.centre.address, *rooms
    )
