"""Finding 14 (kids' room part): impossible dates and year-1 / year-9999 times are a 4xx with
a message naming the field, never a server error."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from mamapro.kidsroom.models import Shift

pytestmark = pytest.mark.django_db

ODD_DAYS = ["2026-02-30", "2026-13-01", "0001-01-01", "9999-12-31", "1999-12-31", "tomorrow"]


@pytest.mark.parametrize("page", ["kidsroom:board", "kidsroom:report", "kidsroom:shifts"])
@pytest.mark.parametrize("day", ODD_DAYS)
def test_an_odd_day_is_a_400_naming_the_day(
    client, personas, kids_room, page: str, day: str
) -> None:
    client.force_login(personas["coordinator"])
    response = client.get(reverse(page), {"day": day})
    assert response.status_code == 400
    assert "“day”: give a real date between 2000-01-01 and 2099-12-31" in response.content.decode()


@pytest.mark.parametrize("day", ["2000-01-01", "2099-12-31", "2026-02-28"])
def test_the_edges_of_the_calendar_still_show(client, personas, kids_room, day: str) -> None:
    client.force_login(personas["coordinator"])
    for page in ("kidsroom:board", "kidsroom:report", "kidsroom:shifts"):
        assert client.get(reverse(page), {"day": day}).status_code == 200, page


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        ("0001-01-01T00:00:00", "0001-01-01T04:00:00", "starts_at"),
        ("9999-12-31T20:00:00", "9999-12-31T23:59:00", "ends_at"),
        ("0001-01-01T00:00:00+05:00", "2026-01-01T04:00:00+05:00", "starts_at"),
    ],
)
def test_a_shift_in_year_1_or_9999_is_a_422_naming_the_field(
    client, token_for, personas, kids_room, starts_at: str, ends_at: str, field: str
) -> None:
    body = {"tutor": personas["tutor"].pk, "starts_at": starts_at, "ends_at": ends_at}
    response = client.post(
        "/api/v1/kidsroom/shifts",
        data=json.dumps(body),
        content_type="application/json",
        headers=token_for(personas["coordinator"]),
    )
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Shift.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_shift_list_takes_any_valid_day(client, token_for, personas, kids_room, day) -> None:
    response = client.get(
        "/api/v1/kidsroom/shifts", {"day": day}, headers=token_for(personas["coordinator"])
    )
    assert response.status_code == 200
    assert response.json()["count"] == 0
    bad = client.get(
        "/api/v1/kidsroom/shifts", {"day": "2026-02-30"}, headers=token_for(personas["coordinator"])
    )
    assert bad.status_code == 422
