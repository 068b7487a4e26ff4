"""Bad input to every programmes operation never gets a 500 (a 4xx says why, in `detail`):
not JSON, wrong types, ids far beyond any database integer, nulls, empty bodies."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from mamapro.programs.services import topics
from mamapro.programs.tests import rows_api

pytestmark = pytest.mark.django_db
HUGE = 10**20

WRITES = sorted(key for key in rows_api.ROWS.api if key[0] in {"POST", "PATCH"})
GARBAGE = [
    "nope",
    "[]",
    "null",
    '{"participant": "x", "run": [], "seat_type": 1, "course": {}, "centre": "y"}',
    json.dumps(
        {
            name: HUGE
            for name in [
                "participant",
                "run",
                "course",
                "centre",
                "trainer",
                "room",
                "paid_seats",
                "free_seats",
                "price",
                "seats",
                "offer_hours",
                "release_days_before",
                "completion_percent",
                "proposed_by",
                "workshop",
                "kids_room_children",
            ]
        }
    ),
    json.dumps({"weekdays": [HUGE, -HUGE], "start_time": "99:99", "end_time": None}),
    json.dumps({"starts_at": "2026-13-45T99:00", "ends_at": 5, "starts_on": "yesterday"}),
    json.dumps({"price": "1e400", "seats": -HUGE, "status": None, "title": None}),
    json.dumps(
        {"kids_room_children": [HUGE], "participant": HUGE, "run": HUGE, "seat_type": "paid"}
    ),
]


@pytest.fixture
def world(personas, survivor, run, make_women):
    from mamapro.programs.services import enrollment as seats

    woman = make_women(1)[0]
    enrollment = seats.enroll(run, woman, "paid")
    topic = topics.propose_topic(survivor.centre, title="Excel")
    start = dt.datetime.combine(run.starts_on, dt.time(10))
    from mamapro.programs.services import runs

    session = runs.add_session(run, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    return {
        "course_id": run.course_id,
        "run_id": run.pk,
        "session_id": session.pk,
        "enrollment_id": enrollment.pk,
        "fee_id": enrollment.fee.pk,
        "topic_id": topic.pk,
    }


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_garbage_bodies_get_a_4xx(
    client: Client, token_for, personas, world, method: str, path: str
) -> None:
    headers = token_for(personas["director"])
    url = "/api/v1" + path.format(**world)
    for body in GARBAGE:
        response = client.generic(
            method, url, data=body, content_type="application/json", headers=headers
        )
        # Some operations take no body or only optional fields: a 2xx there is right too.
        assert response.status_code < 500, (path, body, response.content[:300])
        if response.status_code >= 400:
            assert response.json()["detail"], (path, body)


@pytest.mark.parametrize(
    "path",
    [
        f"/runs/{HUGE}",
        f"/runs/{HUGE}/sessions",
        f"/courses/{HUGE}",
        f"/sessions/{HUGE}",
        f"/enrollments/{HUGE}",
        "/runs/abc",
    ],
)
def test_ids_beyond_any_integer_are_404_or_422(client, token_for, personas, path: str) -> None:
    response = client.get("/api/v1" + path, headers=token_for(personas["director"]))
    assert response.status_code in {404, 422}, response.content[:300]


@pytest.mark.parametrize(
    "query",
    [
        {"run": HUGE},
        {"participant": HUGE},
        {"centre": HUGE},
        {"course": HUGE},
        {"limit": HUGE},
        {"offset": HUGE},
        {"status": "nope"},
        {"ends_after": "not-a-date"},
    ],
)
def test_list_filters_beyond_any_integer_are_not_a_500(
    client, token_for, personas, world, query
) -> None:
    headers = token_for(personas["director"])
    for path in ["/runs", "/enrollments", "/fees", "/topics", "/courses"]:
        response = client.get("/api/v1" + path, query, headers=headers)
        assert response.status_code in {200, 422}, (path, query, response.content[:300])
