"""The runs service: courses, runs validated field by field, sessions in the centre's time
zone, the weekly timetable generator, moves and cancellations, seat counts for lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mamapro.centres.models import Room
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry
from mamapro.programs.models import Run, Session
from mamapro.programs.services import enrollment as seats
from mamapro.programs.services import runs

pytestmark = pytest.mark.django_db
ALMATY = ZoneInfo("Asia/Almaty")
TODAY = dt.date(2026, 3, 2)  # a Monday


def _create(course, centre, **extra):
    values = {
        "course": course,
        "centre": centre,
        "starts_on": TODAY + dt.timedelta(days=7),
        "ends_on": TODAY + dt.timedelta(days=34),
        "paid_seats": 10,
        "free_seats": 10,
        "price": "15000",
        "today": TODAY,
        **extra,
    }
    return runs.create_run(**values)


def _fields(caught: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(caught.value.message_dict)


# --- Courses and runs -----------------------------------------------------------------------------
def test_courses_are_created_and_changed_with_an_audit(personas) -> None:
    course = runs.create_course(
        data={"title": " Копирайтинг ", "category": "copywriting"}, actor=personas["director"]
    )
    assert course.title == "Копирайтинг"
    runs.update_course(course, data={"title": "Копирайтинг"})
    runs.update_course(course, data={"language": "kk"})
    actions = list(
        AuditEntry.objects.filter(object_type="programs.course").values_list("action", "fields")
    )
    assert actions == [("create", ["category", "title"]), ("update", ["language"])]
    with pytest.raises(ValidationError) as caught:
        runs.create_course(data={"title": "", "category": "cooking"})
    assert _fields(caught) == {"title", "category"}
    with pytest.raises(ValidationError) as caught:
        runs.create_course(data={"title": "x", "category": "other", "centre": 1})
    assert _fields(caught) == {"centre"}


def test_create_run_quantises_the_price_and_audits(course, almaty, personas) -> None:
    run = _create(course, almaty, actor=personas["coordinator"], trainer=personas["trainer"])
    run.refresh_from_db()
    assert run.price == Decimal("15000.00")
    assert run.trainer == personas["trainer"]
    entry = AuditEntry.objects.get(object_type="programs.run")
    assert (entry.action, entry.actor, entry.centre_id) == (
        "create",
        personas["coordinator"],
        almaty.pk,
    )
    assert {"price", "paid_seats", "free_seats", "trainer"} <= set(entry.fields)


def test_create_run_names_every_bad_field_at_once(course, almaty, personas) -> None:
    with pytest.raises(ValidationError) as caught:
        _create(
            course,
            almaty,
            starts_on=TODAY - dt.timedelta(days=1),
            ends_on=TODAY - dt.timedelta(days=2),
            paid_seats=-1,
            free_seats=501,
            price=Decimal("-5"),
            trainer=personas["psychologist"],
            offer_hours=0,
            completion_percent=101,
        )
    assert _fields(caught) == {
        "starts_on",
        "ends_on",
        "paid_seats",
        "free_seats",
        "price",
        "trainer",
        "offer_hours",
        "completion_percent",
    }
    assert not Run.objects.exists()
    assert not AuditEntry.objects.filter(object_type="programs.run").exists()


@pytest.mark.parametrize("price", ["abc", "0.001", "1e9", "NaN", "-0.01"])
def test_prices_that_are_not_tenge_are_refused(course, almaty, price) -> None:
    with pytest.raises(ValidationError) as caught:
        _create(course, almaty, price=price)
    assert _fields(caught) == {"price"}


def test_a_free_run_and_a_run_starting_today_are_fine(course, almaty) -> None:
    run = _create(course, almaty, price=0, starts_on=TODAY, ends_on=TODAY, paid_seats=0)
    assert run.price == Decimal("0.00")


def test_update_run_is_all_or_nothing(make_run, make_women, personas) -> None:
    run = make_run(paid_seats=2)
    for woman in make_women(2):
        seats.enroll(run, woman, "paid")
    with pytest.raises(ValidationError) as caught:
        runs.update_run(run, data={"title": "Вечерняя группа", "paid_seats": 1})
    assert _fields(caught) == {"paid_seats"}
    run.refresh_from_db()
    assert (run.title, run.paid_seats) == ("", 2)
    assert not AuditEntry.objects.filter(object_type="programs.run", action="update").exists()
    run = runs.update_run(
        run, data={"title": "Вечерняя группа", "free_seats": 4}, actor=personas["director"]
    )
    assert (run.title, run.free_seats) == ("Вечерняя группа", 4)


def test_update_run_refuses_unknown_fields(make_run) -> None:
    with pytest.raises(ValidationError) as caught:
        runs.update_run(make_run(), data={"centre": 2, "course": 1})
    assert _fields(caught) == {"centre", "course"}


def test_list_seat_counts_match_the_seat_service(make_run, make_women) -> None:
    busy, empty = make_run(paid_seats=2, free_seats=1), make_run()
    women = make_women(6, eligible=True)
    for woman in women[:4]:
        seats.enroll(busy, woman, "paid")
    for woman in women[4:]:
        seats.enroll(busy, woman, "free")
    seats.withdraw(busy.enrollments.get(participant=women[0]))  # an offer is now open
    together = runs.seat_counts_by_run([busy, empty])
    assert together[busy.pk] == seats.seat_counts(busy)
    assert together[empty.pk] == seats.seat_counts(empty)
    assert together[busy.pk].paid_offered == 1


# --- Sessions ------------------------------------------------------------------------------------
@pytest.fixture
def week_run(course, almaty):
    """Monday 9 March to Sunday 22 March 2026: two weeks."""
    return Run.objects.create(
        course=course,
        centre=almaty,
        starts_on=dt.date(2026, 3, 9),
        ends_on=dt.date(2026, 3, 22),
        price="15000.00",
    )


def test_generated_sessions_are_at_local_times_on_the_chosen_days(week_run, personas) -> None:
    made = runs.generate_weekly_sessions(
        week_run, [1, 3], dt.time(18, 0), dt.time(20, 0), actor=personas["coordinator"]
    )
    local = [timezone.localtime(s.starts_at, ALMATY) for s in made]
    assert [d.date() for d in local] == [
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 12),
        dt.date(2026, 3, 17),
        dt.date(2026, 3, 19),
    ]
    assert {d.time() for d in local} == {dt.time(18, 0)}
    # 18:00 in Almaty (UTC+5) is 13:00 UTC.
    assert made[0].starts_at.astimezone(dt.UTC).hour == 13
    assert all(s.ends_at - s.starts_at == dt.timedelta(hours=2) for s in made)
    assert {s.centre_id for s in made} == {week_run.centre_id}
    entry = AuditEntry.objects.get(object_type="programs.run", action="update")
    assert entry.details["created"] == 4
    assert entry.details["event"] == "sessions_generated"


def test_generating_again_skips_identical_sessions(week_run) -> None:
    runs.add_session(
        week_run,
        starts_at=dt.datetime(2026, 3, 10, 18, 0),  # naive: read in the centre's zone
        ends_at=dt.datetime(2026, 3, 10, 20, 0),
    )
    made = runs.generate_weekly_sessions(week_run, [1], dt.time(18), dt.time(20))
    assert [timezone.localtime(s.starts_at, ALMATY).day for s in made] == [17]
    assert runs.generate_weekly_sessions(week_run, [1], dt.time(18), dt.time(20)) == []
    # Another time on the same day is another session.
    assert len(runs.generate_weekly_sessions(week_run, [1], dt.time(10), dt.time(12))) == 2
    assert Session.objects.filter(run=week_run).count() == 4


def test_generation_stops_at_a_booked_room_and_writes_nothing(week_run, course, almaty) -> None:
    room = Room.objects.get(centre=almaty)
    other = Run.objects.create(
        course=course, centre=almaty, starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 31)
    )
    runs.add_session(
        other,
        starts_at=dt.datetime(2026, 3, 17, 19, 0, tzinfo=ALMATY),
        ends_at=dt.datetime(2026, 3, 17, 21, 0, tzinfo=ALMATY),
        room=room,
    )
    with pytest.raises(Conflict):
        runs.generate_weekly_sessions(week_run, [1], dt.time(18), dt.time(20), room)
    assert not Session.objects.filter(run=week_run).exists()
    # Without the room, the timetable is made.
    assert len(runs.generate_weekly_sessions(week_run, [1], dt.time(18), dt.time(20))) == 2


def test_a_closed_or_cancelled_run_keeps_its_timetable(week_run) -> None:
    week_run.status = Run.Status.CLOSED
    week_run.save()
    with pytest.raises(Conflict):
        runs.generate_weekly_sessions(week_run, [0], dt.time(10), dt.time(12))
    with pytest.raises(Conflict):
        runs.add_session(
            week_run,
            starts_at=dt.datetime(2026, 3, 10, 10, tzinfo=ALMATY),
            ends_at=dt.datetime(2026, 3, 10, 12, tzinfo=ALMATY),
        )


def test_a_session_in_another_zone_is_placed_by_its_local_date(week_run) -> None:
    # 23:30 UTC on 22 March is already 23 March in Almaty: after the run.
    with pytest.raises(ValidationError) as caught:
        runs.add_session(
            week_run,
            starts_at=dt.datetime(2026, 3, 22, 23, 30, tzinfo=dt.UTC),
            ends_at=dt.datetime(2026, 3, 23, 1, 0, tzinfo=dt.UTC),
        )
    assert _fields(caught) == {"starts_at"}
    # 20:00 UTC on 8 March is 01:00 on 9 March in Almaty: the first day.
    session = runs.add_session(
        week_run,
        starts_at=dt.datetime(2026, 3, 8, 20, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 3, 8, 21, 0, tzinfo=dt.UTC),
    )
    assert timezone.localtime(session.starts_at, ALMATY).date() == dt.date(2026, 3, 9)


def test_cancel_move_and_restore_a_session_with_an_audit(week_run, personas) -> None:
    session = runs.add_session(
        week_run,
        starts_at=dt.datetime(2026, 3, 10, 10, tzinfo=ALMATY),
        ends_at=dt.datetime(2026, 3, 10, 12, tzinfo=ALMATY),
    )
    runs.update_session(session, data={"cancelled": True}, actor=personas["coordinator"])
    moved = runs.update_session(
        session,
        data={
            "cancelled": False,
            "starts_at": dt.datetime(2026, 3, 11, 10),
            "ends_at": dt.datetime(2026, 3, 11, 12),
        },
    )
    assert timezone.localtime(moved.starts_at, ALMATY) == dt.datetime(
        2026, 3, 11, 10, tzinfo=ALMATY
    )
    updates = AuditEntry.objects.filter(object_type="programs.session", action="update")
    assert [sorted(e.fields) for e in updates.order_by("seq")] == [
        ["cancelled"],
        ["cancelled", "ends_at", "starts_at"],
    ]
    # Nothing changed: nothing written.
    runs.update_session(moved, data={"topic": ""})
    assert updates.count() == 2
    with pytest.raises(ValidationError) as caught:
        runs.update_session(moved, data={"run": 1})
    assert _fields(caught) == {"run"}


def test_a_cancelled_session_frees_its_room(week_run, almaty) -> None:
    room = Room.objects.get(centre=almaty)
    first = runs.add_session(
        week_run,
        starts_at=dt.datetime(2026, 3, 10, 10, tzinfo=ALMATY),
        ends_at=dt.datetime(2026, 3, 10, 12, tzinfo=ALMATY),
        room=room,
    )
    runs.update_session(first, data={"cancelled": True})
    second = runs.add_session(
        week_run,
        starts_at=dt.datetime(2026, 3, 10, 10, tzinfo=ALMATY),
        ends_at=dt.datetime(2026, 3, 10, 12, tzinfo=ALMATY),
        room=room,
    )
    # Restoring the first would now double-book the room.
    with pytest.raises(Conflict):
        runs.update_session(first, data={"cancelled": False})
    assert second.pk
