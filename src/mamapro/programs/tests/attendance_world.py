"""Helpers for the attendance tests: sessions at given days from now, women enrolled before
the run began (as the coordinator does it), marks by woman."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from mamapro.people.models import Participant
from mamapro.programs.models import Enrollment, Run, Session
from mamapro.programs.services import attendance
from mamapro.programs.services import enrollment as seats


def add_sessions(run: Run, days: Iterable[float], *, hours: float = 2) -> list[Session]:
    """One session per offset in days from now (negative: in the past)."""
    now = timezone.now()
    out = []
    for offset in days:
        start = now + dt.timedelta(days=offset)
        out.append(
            Session.objects.create(
                run=run,
                centre_id=run.centre_id,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=hours),
            )
        )
    return out


def enroll_before_start(
    run: Run, women: Sequence[Participant], seat_type: str = "paid"
) -> list[Enrollment]:
    """Enrolled a fortnight before the run's first day, in this order."""
    when = timezone.make_aware(
        dt.datetime.combine(run.starts_on - dt.timedelta(days=14), dt.time(10))
    )
    out = []
    for i, woman in enumerate(women):
        out.append(seats.enroll(run, woman, seat_type, now=when + dt.timedelta(minutes=i)))
    return out


def mark(session: Session, marks: dict[Participant, str], **kwargs: Any) -> Any:
    return attendance.record_roll_call(
        session, [(p.pk, status) for p, status in marks.items()], **kwargs
    )
