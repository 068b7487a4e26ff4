"""Sessions through the API: inside the run's dates, in the centre's time zone, one room at a
time, a weekly timetable generated once, moves and cancellations, and query counts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mamapro.centres.models import Room
from mamapro.programs.models import Attendance, Session
from mamapro.programs.services import enrollment as seats
from mamapro.programs.tests.api_client import Api, error_fields

pytestmark = pytest.mark.django_db
ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture
def api(client, token_for, personas) -> Api:
    return Api(client, token_for).as_(personas["coordinator"])


@pytest.fixture
def room(almaty) -> Room:
    return Room.objects.get(centre=almaty, name="Аудитория 1")


def _at(day: dt.date, hour: int, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00"


def _local(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(ALMATY)


def test_add_a_session_in_the_centres_local_time(api, run, room) -> None:
    day = run.starts_on + dt.timedelta(days=2)
    body = api.ok(
        "POST",
        f"/runs/{run.pk}/sessions",
        {"starts_at": _at(day, 18), "ends_at": _at(day, 20), "room": room.pk, "topic": "Идея"},
        expect=201,
    )
    starts = dt.datetime.fromisoformat(body["starts_at"])
    assert starts.utcoffset() == dt.timedelta(hours=5), "answered in Almaty time"
    assert (starts.date(), starts.time()) == (day, dt.time(18))
    assert (body["room"], body["room_name"], body["topic"]) == (room.pk, room.name, "Идея")
    assert body["cancelled"] is False
    stored = Session.objects.get(pk=body["id"])
    assert stored.starts_at == dt.datetime(day.year, day.month, day.day, 13, tzinfo=dt.UTC)
    listed = api.ok("GET", f"/runs/{run.pk}/sessions")
    assert listed["items"] == [body]
    assert api.ok("GET", f"/sessions/{body['id']}") == body


def test_an_offset_in_the_input_is_respected(api, run) -> None:
    day = run.starts_on
    body = api.ok(
        "POST",
        f"/runs/{run.pk}/sessions",
        {"starts_at": f"{day}T04:00:00Z", "ends_at": f"{day}T06:00:00Z"},
        expect=201,
    )
    assert _local(body["starts_at"]).time() == dt.time(9)


def test_a_session_outside_the_run_is_422_naming_starts_at(api, run) -> None:
    before = run.starts_on - dt.timedelta(days=1)
    response = api.call(
        "POST",
        f"/runs/{run.pk}/sessions",
        {"starts_at": _at(before, 10), "ends_at": _at(before, 12)},
    )
    assert error_fields(response) == {"starts_at"}
    after = run.ends_on + dt.timedelta(days=1)
    response = api.call(
        "POST", f"/runs/{run.pk}/sessions", {"starts_at": _at(after, 10), "ends_at": _at(after, 12)}
    )
    assert error_fields(response) == {"starts_at"}
    # The last evening may run to midnight, not past it.
    last = run.ends_on
    response = api.call(
        "POST",
        f"/runs/{run.pk}/sessions",
        {"starts_at": _at(last, 22), "ends_at": _at(after, 1)},
    )
    assert error_fields(response) == {"ends_at"}
    assert not Session.objects.exists()


def test_a_session_must_end_after_it_starts(api, run) -> None:
    day = run.starts_on
    for ends in [_at(day, 10), _at(day, 9)]:
        response = api.call(
            "POST", f"/runs/{run.pk}/sessions", {"starts_at": _at(day, 10), "ends_at": ends}
        )
        assert error_fields(response) == {"ends_at"}
    response = api.call("POST", f"/runs/{run.pk}/sessions", {"starts_at": "tomorrow"})
    assert error_fields(response) == {"starts_at", "ends_at"}


def test_a_room_of_another_centre_is_422(api, run, astana) -> None:
    elsewhere = Room.objects.create(centre=astana, name="Зал", kind="classroom", capacity=10)
    day = run.starts_on
    for room_id in [elsewhere.pk, 0]:
        response = api.call(
            "POST",
            f"/runs/{run.pk}/sessions",
            {"starts_at": _at(day, 10), "ends_at": _at(day, 12), "room": room_id},
        )
        assert error_fields(response) == {"room"}


def test_one_room_cannot_hold_two_sessions_at_once(api, make_run, room) -> None:
    first, second = make_run(), make_run()
    day = first.starts_on
    api.ok(
        "POST",
        f"/runs/{first.pk}/sessions",
        {"starts_at": _at(day, 10), "ends_at": _at(day, 12), "room": room.pk},
        expect=201,
    )
    clash = api.call(
        "POST",
        f"/runs/{second.pk}/sessions",
        {"starts_at": _at(day, 11), "ends_at": _at(day, 13), "room": room.pk},
    )
    assert clash.status_code == 409
    assert "room is booked" in clash.json()["detail"]
    # Back to back is fine.
    api.ok(
        "POST",
        f"/runs/{second.pk}/sessions",
        {"starts_at": _at(day, 12), "ends_at": _at(day, 14), "room": room.pk},
        expect=201,
    )


def test_a_cancelled_run_takes_no_sessions(api, make_run) -> None:
    run = make_run(status="cancelled")
    day = run.starts_on
    response = api.call(
        "POST", f"/runs/{run.pk}/sessions", {"starts_at": _at(day, 10), "ends_at": _at(day, 12)}
    )
    assert response.status_code == 409


def test_sessions_of_other_centres_are_404(api, personas, make_run, astana) -> None:
    there = make_run(astana)
    day = there.starts_on
    assert api.call("GET", f"/runs/{there.pk}/sessions").status_code == 404
    response = api.call(
        "POST", f"/runs/{there.pk}/sessions", {"starts_at": _at(day, 10), "ends_at": _at(day, 12)}
    )
    assert response.status_code == 404
    session = Session.objects.create(
        run=there,
        centre=astana,
        starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=ALMATY),
        ends_at=dt.datetime.combine(day, dt.time(12), tzinfo=ALMATY),
    )
    assert api.call("GET", f"/sessions/{session.pk}").status_code == 404
    assert api.call("PATCH", f"/sessions/{session.pk}", {"cancelled": True}).status_code == 404
    # A trainer reads sessions: another centre's are a 404 for her too.
    assert api.as_(personas["trainer"]).call("GET", f"/sessions/{session.pk}").status_code == 404


# --- A weekly timetable ---------------------------------------------------------------------------
def test_generate_a_weekly_timetable_once(api, make_run, room) -> None:
    run = make_run(starts_in=14, days=27)  # four weeks
    pattern = {"weekdays": [0, 2], "start_time": "18:30", "end_time": "20:30", "room": room.pk}
    body = api.ok("POST", f"/runs/{run.pk}/sessions/generate", pattern, expect=201)
    expected = [
        run.starts_on + dt.timedelta(days=i)
        for i in range(28)
        if (run.starts_on + dt.timedelta(days=i)).weekday() in (0, 2)
    ]
    assert body["count"] == len(expected) == 8
    starts = [_local(s["starts_at"]) for s in body["items"]]
    assert [s.date() for s in starts] == expected
    assert {s.time() for s in starts} == {dt.time(18, 30)}
    assert {_local(s["ends_at"]).time() for s in body["items"]} == {dt.time(20, 30)}
    # Again: nothing new.
    again = api.ok("POST", f"/runs/{run.pk}/sessions/generate", pattern, expect=200)
    assert again == {"items": [], "count": 0}
    # A third weekday fills only the gaps.
    more = api.ok(
        "POST", f"/runs/{run.pk}/sessions/generate", {**pattern, "weekdays": [0, 2, 4]}, expect=201
    )
    assert more["count"] == 4
    assert Session.objects.filter(run=run).count() == 12


def test_generate_refuses_a_bad_pattern(api, make_run, astana) -> None:
    run = make_run(starts_in=14, days=2)
    url = f"/runs/{run.pk}/sessions/generate"
    bad = api.call("POST", url, {"weekdays": [7], "start_time": "18:00", "end_time": "17:00"})
    assert error_fields(bad) == {"weekdays", "end_time"}
    empty = api.call("POST", url, {"weekdays": [], "start_time": "18:00", "end_time": "20:00"})
    assert error_fields(empty) == {"weekdays"}
    # A three-day run may have none of the chosen weekdays.
    covered = {(run.starts_on + dt.timedelta(days=i)).weekday() for i in range(3)}
    missing = [d for d in range(7) if d not in covered]
    none = api.call("POST", url, {"weekdays": missing, "start_time": "18:00", "end_time": "20:00"})
    assert error_fields(none) == {"weekdays"}
    not_a_time = api.call("POST", url, {"weekdays": [1], "start_time": "25:00", "end_time": "x"})
    assert error_fields(not_a_time) == {"start_time", "end_time"}
    assert not Session.objects.exists()


# --- Moving and cancelling ----------------------------------------------------------------------
@pytest.fixture
def session(api, run, room):
    day = run.starts_on + dt.timedelta(days=1)
    return api.ok(
        "POST",
        f"/runs/{run.pk}/sessions",
        {"starts_at": _at(day, 10), "ends_at": _at(day, 12), "room": room.pk},
        expect=201,
    )


def test_move_and_cancel_a_session(api, run, session) -> None:
    day = run.starts_on + dt.timedelta(days=3)
    moved = api.ok(
        "PATCH",
        f"/sessions/{session['id']}",
        {"starts_at": _at(day, 15), "ends_at": _at(day, 17), "room": None, "topic": "Налоги"},
    )
    assert _local(moved["starts_at"]) == dt.datetime.combine(day, dt.time(15), tzinfo=ALMATY)
    assert (moved["room"], moved["topic"]) == (None, "Налоги")
    cancelled = api.ok("PATCH", f"/sessions/{session['id']}", {"cancelled": True})
    assert cancelled["cancelled"] is True
    assert api.ok("GET", f"/runs/{run.pk}/sessions")["items"][0]["cancelled"] is True


def test_moving_outside_the_run_or_backwards_is_422(api, run, session) -> None:
    outside = run.ends_on + dt.timedelta(days=2)
    response = api.call(
        "PATCH",
        f"/sessions/{session['id']}",
        {"starts_at": _at(outside, 10), "ends_at": _at(outside, 12)},
    )
    assert error_fields(response) == {"starts_at"}
    response = api.call("PATCH", f"/sessions/{session['id']}", {"ends_at": session["starts_at"]})
    assert error_fields(response) == {"ends_at"}
    response = api.call("PATCH", f"/sessions/{session['id']}", {"cancelled": None})
    assert error_fields(response) == {"cancelled"}


def test_a_session_with_attendance_cannot_move_or_be_cancelled(
    api, run, session, make_women
) -> None:
    enrollment = seats.enroll(run, make_women(1)[0], "paid")
    Attendance.objects.create(
        session_id=session["id"], enrollment=enrollment, centre=run.centre, status="present"
    )
    day = run.starts_on + dt.timedelta(days=4)
    for change in [{"cancelled": True}, {"starts_at": _at(day, 10), "ends_at": _at(day, 12)}]:
        assert api.call("PATCH", f"/sessions/{session['id']}", change).status_code == 409
    # Its topic may still be corrected.
    assert api.ok("PATCH", f"/sessions/{session['id']}", {"topic": "Excel"})["topic"] == "Excel"


# --- Query counts -------------------------------------------------------------------------------
@pytest.mark.parametrize("rows", [2, 20])
def test_session_list_query_count_is_constant(
    api, run, room, django_assert_num_queries, rows
) -> None:
    for i in range(rows):
        start = dt.datetime.combine(run.starts_on, dt.time(8), tzinfo=ALMATY) + dt.timedelta(
            hours=i
        )
        Session.objects.create(
            run=run,
            centre=run.centre,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=50),
            room=room if i % 2 else None,
        )
    api.ok("GET", f"/runs/{run.pk}")  # the token's first use stamps it; not counted below
    # token, memberships, run (course, centre, trainer joined), page (room joined), count
    with django_assert_num_queries(5):
        assert len(api.ok("GET", f"/runs/{run.pk}/sessions")["items"]) == rows
