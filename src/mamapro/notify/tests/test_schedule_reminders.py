"""Reminders the day before each session (`schedule.run(now)`, called by the tick)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mamapro.centres.models import Centre, Room
from mamapro.kidsroom.models import Booking
from mamapro.notify import schedule
from mamapro.notify.models import Delivery
from mamapro.notify.tests.test_triggers_events import reachable
from mamapro.people import services as people
from mamapro.people.models import Child, Participant
from mamapro.programs.models import Enrollment, Run, Session

pytestmark = pytest.mark.django_db
ALMATY = ZoneInfo("Asia/Almaty")
TOKYO = ZoneInfo("Asia/Tokyo")
# 11:00 in Almaty on 1 December 2026: past the reminder hour.
NOW = dt.datetime(2026, 12, 1, 11, 0, tzinfo=ALMATY)


def _session(run: Run, starts_at: dt.datetime, **fields: Any) -> Session:
    return Session.objects.create(
        run=run,
        centre_id=run.centre_id,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        **fields,
    )


def _seat(run: Run, woman: Participant, status: str = Enrollment.Status.CONFIRMED) -> Enrollment:
    return Enrollment.objects.create(
        run=run, centre_id=run.centre_id, participant=woman, seat_type="paid", status=status
    )


def _reminders() -> list[Delivery]:
    return list(Delivery.objects.filter(kind="reminder").order_by("participant_id", "id"))


def _book(session: Session, child: Child, room: Room) -> Booking:
    return Booking.objects.create(
        centre_id=session.centre_id,
        room=room,
        session=session,
        child=child,
        status=Booking.Status.BOOKED,
    )


def test_tomorrows_sessions_remind_each_confirmed_woman_with_her_childrens_bookings(
    almaty: Centre, make_run: Any, make_women: Any
) -> None:
    run = make_run()
    tomorrow = _session(run, dt.datetime(2026, 12, 2, 10, 0, tzinfo=ALMATY))
    _session(run, dt.datetime(2026, 12, 3, 10, 0, tzinfo=ALMATY))  # the day after: not yet
    _session(run, dt.datetime(2026, 12, 1, 18, 0, tzinfo=ALMATY))  # today: too late
    _session(run, dt.datetime(2026, 12, 2, 15, 0, tzinfo=ALMATY), cancelled=True)
    mother, other, waiting = (reachable(w) for w in make_women(3))
    _seat(run, mother)
    _seat(run, other)
    _seat(run, waiting, Enrollment.Status.WAITLISTED)
    room = Room.objects.create(centre=almaty, name="Балалар бөлмесі", kind="kids_room", capacity=8)
    for name in ("Әлихан", "Айша"):
        kid = people.add_child(mother, data={"given_name": name, "birth_date": dt.date(2021, 1, 1)})
        _book(tomorrow, kid, room)

    result = schedule.run(NOW)

    assert result.sessions == 1
    rows = _reminders()
    assert [d.participant_id for d in rows] == sorted([mother.pk, other.pk])
    by_woman = {d.participant_id: d for d in rows}
    assert by_woman[mother.pk].idempotency_key == f"reminder:{tomorrow.pk}:{mother.pk}"
    assert by_woman[mother.pk].context["kids_room"] == 2
    assert by_woman[other.pk].context["kids_room"] == 0
    for d in rows:
        assert (d.subject_type, d.subject_id) == ("programs.session", str(tomorrow.pk))
        assert dt.datetime.fromisoformat(d.context["valid_until"]) == tomorrow.starts_at


def test_nothing_before_the_reminder_hour_and_once_across_ticks(
    make_run: Any, make_women: Any, settings: Any
) -> None:
    run = make_run()
    session = _session(run, dt.datetime(2026, 12, 2, 10, 0, tzinfo=ALMATY))
    women = [reachable(w) for w in make_women(3)]
    for woman in women:
        _seat(run, woman)
    early = NOW.replace(hour=9, minute=59)
    assert schedule.run(early).reminders == 0
    assert not _reminders()
    schedule.run(NOW)
    assert len(_reminders()) == 3
    # The next ticks write nothing more, and only read.
    with CaptureQueriesContext(connection) as later:
        schedule.run(NOW + dt.timedelta(minutes=1))
    assert len(_reminders()) == 3
    assert not [q for q in later.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    # A woman confirmed later in the day is reminded by the next tick.
    (late,) = (reachable(w) for w in make_women(1))
    _seat(run, late)
    schedule.run(NOW + dt.timedelta(hours=3))
    assert {d.participant_id for d in _reminders()} == {w.pk for w in [*women, late]}
    assert Delivery.objects.filter(idempotency_key=f"reminder:{session.pk}:{late.pk}").exists()
    settings.NOTIFY_REMINDER_HOUR = 23
    assert schedule.run(NOW + dt.timedelta(hours=4)).reminders == 0


def test_tomorrow_is_the_centres_tomorrow(make_run: Any, make_participant: Any) -> None:
    """A centre in Tokyo (UTC+9) beside the head office in Almaty (UTC+5): its tomorrow ends
    at its own midnight, four hours before Almaty's."""
    tokyo = Centre.objects.create(name="Mama Pro Tokyo", city="Tokyo", timezone="Asia/Tokyo")
    run = make_run(tokyo)
    late_tomorrow = _session(run, dt.datetime(2026, 12, 2, 23, 30, tzinfo=TOKYO))
    # 00:30 the day after in Tokyo is still 2 December (20:30) in Almaty: not tomorrow there.
    day_after = _session(run, dt.datetime(2026, 12, 3, 0, 30, tzinfo=TOKYO))
    woman = reachable(make_participant(tokyo))
    _seat(run, woman)
    # 15:00 in Tokyo, 11:00 in Almaty.
    schedule.run(NOW)
    assert [d.subject_id for d in _reminders()] == [str(late_tomorrow.pk)]
    assert str(day_after.pk) not in {d.subject_id for d in _reminders()}


def test_reminders_take_a_constant_number_of_queries(make_run: Any, make_women: Any) -> None:
    def queries_for(n: int, day: int) -> int:
        run = make_run()
        _session(run, dt.datetime(2026, 12, day, 10, 0, tzinfo=ALMATY))
        _session(run, dt.datetime(2026, 12, day, 15, 0, tzinfo=ALMATY))
        for woman in make_women(n):
            _seat(run, reachable(woman))
        with CaptureQueriesContext(connection) as ctx:
            schedule.run(dt.datetime(2026, 12, day - 1, 11, 0, tzinfo=ALMATY))
        return len(ctx.captured_queries)

    few = queries_for(2, 10)
    many = queries_for(12, 20)
    assert few == many, (few, many)
    assert len(_reminders()) == 2 * 2 + 2 * 12
