"""GET and PUT /sessions/{id}/attendance: the roll with its marks, a list in, 422 per item."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from mamapro.core.models import AuditEntry
from mamapro.programs.models import Attendance, Enrollment
from mamapro.programs.tests.attendance_world import add_sessions, enroll_before_start, mark

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(client: Client, token_for, personas):
    """call(persona, method, path, body) → response."""
    tokens: dict[str, dict[str, str]] = {}

    def do(persona: str, method: str, path: str, body: Any = None) -> Any:
        if persona not in tokens:
            tokens[persona] = token_for(personas[persona])
        return client.generic(
            method,
            "/api/v1" + path,
            data=None if body is None else (body if isinstance(body, str) else json.dumps(body)),
            content_type="application/json",
            headers=tokens[persona],
        )

    return do


@pytest.fixture
def roll(make_run, make_women, personas):
    run = make_run(starts_in=-10, days=30, trainer=personas["trainer"])
    (session,) = add_sessions(run, [-1])
    women = make_women(3)
    enroll_before_start(run, women)
    return session, women


def _by_participant(items: list[dict[str, Any]]) -> dict[int, str | None]:
    return {item["participant"]: item["status"] for item in items}


def test_get_lists_the_roll_with_marks_and_nulls(call, roll) -> None:
    session, (a, b, c) = roll
    mark(session, {a: "late"})
    response = call("trainer", "GET", f"/sessions/{session.pk}/attendance")
    assert response.status_code == 200
    assert _by_participant(response.json()) == {a.pk: "late", b.pk: None, c.pk: None}
    assert set(response.json()[0]) == {"participant", "status"}


def test_put_saves_and_returns_the_whole_roll_then_edits_are_audited(call, roll, personas) -> None:
    session, (a, b, c) = roll
    path = f"/sessions/{session.pk}/attendance"
    body = [{"participant": a.pk, "status": "present"}, {"participant": b.pk, "status": "late"}]
    response = call("trainer", "PUT", path, body)
    assert response.status_code == 200, response.content
    assert _by_participant(response.json()) == {a.pk: "present", b.pk: "late", c.pk: None}
    response = call("coordinator", "PUT", path, [{"participant": b.pk, "status": "excused"}])
    assert _by_participant(response.json())[b.pk] == "excused"
    edit = AuditEntry.objects.get(object_type="programs.attendance", action="update")
    assert (edit.details["was"], edit.details["status"]) == ("late", "excused")
    assert edit.actor == personas["coordinator"]
    assert edit.via == "api"


def test_put_names_each_bad_item_and_writes_nothing(call, roll, make_women) -> None:
    session, (a, b, _c) = roll
    (not_enrolled,) = make_women(1)
    response = call(
        "trainer",
        "PUT",
        f"/sessions/{session.pk}/attendance",
        [
            {"participant": a.pk, "status": "present"},
            {"participant": not_enrolled.pk, "status": "present"},
            {"participant": 999999, "status": "late"},
            {"participant": a.pk, "status": "absent"},
        ],
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"1.participant", "2.participant", "3.participant"}
    assert "not enrolled" in response.json()["detail"]
    assert not Attendance.objects.exists()

    response = call(
        "trainer",
        "PUT",
        f"/sessions/{session.pk}/attendance",
        [{"participant": a.pk, "status": "present"}, {"participant": b.pk, "status": "gone"}],
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["1.status"]
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "body", ['{"participant": 1, "status": "present"}', "[{}]", '[{"participant": "x"}]', "nope"]
)
def test_garbage_gets_a_clear_4xx_not_a_500(call, roll, body: str) -> None:
    session, _women = roll
    response = call("trainer", "PUT", f"/sessions/{session.pk}/attendance", body)
    assert response.status_code == (400 if body == "nope" else 422), response.content
    assert response.json()["detail"]
    assert not Attendance.objects.exists()


def test_a_cancelled_session_is_a_conflict(call, roll) -> None:
    session, (a, _b, _c) = roll
    session.cancelled = True
    session.save()
    response = call(
        "trainer",
        "PUT",
        f"/sessions/{session.pk}/attendance",
        [{"participant": a.pk, "status": "present"}],
    )
    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]


def test_no_show_through_the_api_releases_the_seat_and_her_mark_stays_listed(
    call, make_run, make_women, personas
) -> None:
    run = make_run(starts_in=-10, days=30, paid_seats=1, free_seats=0, trainer=personas["trainer"])
    (session,) = add_sessions(run, [-9])
    absent, waiting = make_women(2)
    ea, ew = enroll_before_start(run, [absent, waiting])
    path = f"/sessions/{session.pk}/attendance"
    response = call("trainer", "PUT", path, [{"participant": absent.pk, "status": "absent"}])
    assert response.status_code == 200
    assert _by_participant(response.json()) == {absent.pk: "absent"}
    ea.refresh_from_db()
    ew.refresh_from_db()
    assert (ea.status, ew.status) == (Enrollment.Status.DROPPED, Enrollment.Status.OFFERED)


def test_who_may_call(call, roll, make_user, almaty) -> None:
    session, _women = roll
    path = f"/sessions/{session.pk}/attendance"
    make_user("trainer2", "trainer", almaty)
    assert call("outsider", "GET", path).status_code == 404
    assert call("manager", "GET", path).status_code == 403
    assert call("director", "GET", path).status_code == 200
    assert call("coordinator", "GET", "/sessions/999999/attendance").status_code == 404


def test_another_runs_trainer_is_refused(client, token_for, roll, make_user, almaty) -> None:
    session, (a, _b, _c) = roll
    other = make_user("trainer2", "trainer", almaty)
    response = client.put(
        f"/api/v1/sessions/{session.pk}/attendance",
        data=json.dumps([{"participant": a.pk, "status": "present"}]),
        content_type="application/json",
        headers=token_for(other),
    )
    assert response.status_code == 403
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("women", [2, 15])
def test_get_query_count_is_constant(
    call, make_run, make_women, personas, django_assert_num_queries, women
) -> None:
    run = make_run(starts_in=-10, days=30, trainer=personas["trainer"], paid_seats=20)
    (session,) = add_sessions(run, [-1])
    people = make_women(women)
    enroll_before_start(run, people)
    mark(session, dict.fromkeys(people, "present"))
    call("trainer", "GET", "/centres")  # the token is issued outside the count
    # token, memberships, session (+run), roll, marks, marks of women off the roll
    with django_assert_num_queries(6):
        response = call("trainer", "GET", f"/sessions/{session.pk}/attendance")
    assert len(response.json()) == women
