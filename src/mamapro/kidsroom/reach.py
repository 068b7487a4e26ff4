"""Whom a tutor's work reaches (registered with `people.reach` in `apps.py`).

A tutor reaches the children booked — not cancelled; waiting for a place included — in the
kids' room(s) where she has a shift that ended at most `LOOKBACK` ago or is still to come, for
sessions (or slots of their own) from `LOOKBACK` ago onwards, and the mothers of those
children. A week back, because an incident is sometimes written up, or a question about a
child answered, a few days after the session; a tutor who has stopped working in a room stops
reaching its children a week after her last shift there. Every other woman and child of the
centre stays out of her reach.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from mamapro.core.models import User
from mamapro.kidsroom.models import Booking, Shift

LOOKBACK = dt.timedelta(days=7)


def _bookings(user: User) -> QuerySet[Booking]:
    since = timezone.now() - LOOKBACK
    rooms = Shift.objects.filter(tutor_id=user.pk, ends_at__gte=since).values("room_id")
    return (
        Booking.objects.filter(room_id__in=rooms)
        .exclude(status=Booking.Status.CANCELLED)
        .filter(Q(session__starts_at__gte=since) | Q(session__isnull=True, starts_at__gte=since))
    )


def tutor_children(user: User) -> Q:
    return Q(pk__in=_bookings(user).values("child_id"))


def tutor_mothers(user: User) -> Q:
    return Q(pk__in=_bookings(user).values("child__parent_id"))
