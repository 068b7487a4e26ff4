"""Reads for the public pages and the staff lists: one query per list, whatever the size.

Public pages say whether places are available or a waiting list runs; they never show how
many women are enrolled, never a name, and never a vote count.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.programs.models import Enrollment, Run, TopicRequest
from mamapro.public.models import Application
from mamapro.public.services.applications import FREE, PAID, seat_choices

# The public catalogue is bounded: a centre shows its next runs, not years of them.
CATALOGUE_LIMIT = 60

Status = Enrollment.Status


def _with_seats(runs: QuerySet[Run]) -> QuerySet[Run]:
    held = Q(enrollments__status__in=Enrollment.HOLDS_SEAT)
    waiting = Q(enrollments__status=Status.WAITLISTED)
    return runs.annotate(
        paid_taken=Count("enrollments", filter=held & Q(enrollments__seat_type=PAID)),
        paid_waiting=Count("enrollments", filter=waiting & Q(enrollments__seat_type=PAID)),
        free_taken=Count("enrollments", filter=held & Q(enrollments__seat_type=FREE)),
        free_waiting=Count("enrollments", filter=waiting & Q(enrollments__seat_type=FREE)),
    )


def public_runs() -> QuerySet[Run]:
    """Published runs at active centres that have not started yet."""
    return _with_seats(
        Run.objects.filter(
            status=Run.Status.PUBLISHED,
            starts_on__gte=timezone.localdate(),
            centre__is_active=True,
        ).select_related("course", "centre")
    )


def upcoming_runs(centre_id: int | None = None) -> list[Run]:
    runs = public_runs()
    if centre_id is not None:
        runs = runs.filter(centre_id=centre_id)
    return list(runs.order_by("starts_on", "centre__name", "id")[:CATALOGUE_LIMIT])


def public_run(pk: int) -> Run | None:
    return public_runs().filter(pk=pk).first()


@dataclass(frozen=True)
class Place:
    """One kind of place on a run, as the public sees it."""

    seat_type: str
    available: bool  # False: a waiting list


def places(run: Run) -> list[Place]:
    """Available or waiting list, per kind of place, from the annotated counts."""
    out = []
    for seat_type in seat_choices(run):
        seats = run.seats(seat_type)
        taken = getattr(run, f"{seat_type}_taken", 0)
        waiting = getattr(run, f"{seat_type}_waiting", 0)
        out.append(Place(seat_type, available=taken < seats and waiting == 0))
    return out


def public_topics() -> QuerySet[TopicRequest]:
    """Open topics the public may see: staff's own, and proposals staff have published.

    Newest first, never by votes: an order that moved with each vote would let anyone test
    a phone by voting with it and watching the list.
    """
    return (
        TopicRequest.objects.filter(status=TopicRequest.Status.OPEN, centre__is_active=True)
        .filter(Q(proposal__isnull=True) | Q(proposal__published=True))
        .select_related("centre")
        .order_by("centre__name", "-created_at", "-id")
    )


def staff_applications(
    user: User | AnonymousUser, *, centre_id: int | None, show_all: bool
) -> QuerySet[Application]:
    applications = perms.scope(
        Application.objects.select_related("participant", "run__course", "centre", "enrollment"),
        user,
        perms.ENROLLMENT_EDIT,
        only_centre=centre_id,
    )
    if not show_all:
        applications = applications.filter(handled_at__isnull=True)
    return applications.order_by("-created_at", "-id")


def staff_topics(
    user: User | AnonymousUser, *, centre_id: int | None, show_all: bool
) -> QuerySet[TopicRequest]:
    topics = perms.scope(
        TopicRequest.objects.select_related("centre", "proposal", "workshop__course"),
        user,
        perms.TOPICS_VIEW,
        only_centre=centre_id,
    )
    if not show_all:
        topics = topics.filter(status=TopicRequest.Status.OPEN)
    return topics.annotate(vote_count=Count("votes")).order_by("-vote_count", "-created_at", "-id")
