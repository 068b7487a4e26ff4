"""Issue 9, finding 14 (programmes): dates no course could have are refused with the field
named, never a 500 or millions of generated sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.programs.models import Run, Session

pytestmark = pytest.mark.django_db


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "field"),
    [
        ("9999-12-31", "9999-12-31", "starts_on"),  # the day after it does not exist
        (_day(3 * 366 + 2), _day(3 * 366 + 30), "starts_on"),
        (_day(1), "9999-12-31", "ends_on"),  # millions of weekly sessions
        (_day(1), _day(2 * 366 + 2), "ends_on"),
    ],
)
def test_the_api_refuses_a_run_no_course_could_have(
    client, personas, token_for, course, almaty, starts_on, ends_on, field
) -> None:
    response = client.post(
        "/api/v1/runs",
        {"course": course.pk, "centre": almaty.pk, "starts_on": starts_on, "ends_on": ends_on},
        content_type="application/json",
        headers=token_for(personas["coordinator"]),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Run.objects.exists()


def test_the_run_form_refuses_it_beside_the_field(client, personas, course, almaty) -> None:
    client.force_login(personas["coordinator"])
    response = client.post(
        reverse("programs:run_create"),
        {
            "course": course.pk,
            "centre": almaty.pk,
            "starts_on": _day(1),
            "ends_on": _day(2 * 366 + 2),
            "price": "0",
            "paid_seats": 1,
            "free_seats": 1,
            "weekdays": [0, 1, 2, 3, 4, 5, 6],
            "start_time": "10:00",
            "end_time": "11:00",
        },
    )
    assert response.status_code == 200
    assert "A run lasts at most two years." in response.content.decode()
    assert not Run.objects.exists()
    assert not Session.objects.exists()


def test_a_run_cannot_be_stretched_to_the_end_of_time(client, personas, token_for, run) -> None:
    response = client.patch(
        f"/api/v1/runs/{run.pk}",
        {"ends_on": "9999-12-31"},
        content_type="application/json",
        headers=token_for(personas["coordinator"]),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["ends_on"]
    run.refresh_from_db()
    assert run.ends_on.year < 9999


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        ("0001-01-01T10:00:00", "0001-01-01T12:00:00", "starts_at"),
        ("9999-12-31T23:00:00-05:00", "9999-12-31T23:30:00-05:00", "starts_at"),
        ("2027-01-10T10:00:00+05:00", "9999-12-31T23:30:00-05:00", "ends_at"),
    ],
)
def test_a_session_at_the_edge_of_the_calendar_is_a_422_naming_it(
    client, personas, token_for, run, starts_at, ends_at, field
) -> None:
    """Found by an attack on the demo: year 1 or 9999 with an offset overflowed the
    conversion to the centre's time (a 500)."""
    before = Session.objects.count()
    response = client.post(
        f"/api/v1/runs/{run.pk}/sessions",
        {"starts_at": starts_at, "ends_at": ends_at},
        content_type="application/json",
        headers=token_for(personas["coordinator"]),
    )
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Session.objects.count() == before
