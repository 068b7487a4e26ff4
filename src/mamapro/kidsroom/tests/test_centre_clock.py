"""The kids' room board, report and shifts count the centre's day, on its clock, around its
midnight, while the server's clock still reads the day before (centres/clock.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mamapro.centres.models import Centre
from mamapro.centres.tests.midnight import Midnight, just_after_midnight
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert, Booking, Shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def midnight(monkeypatch: pytest.MonkeyPatch, settings: Any, almaty: Centre) -> Midnight:
    return just_after_midnight(monkeypatch, settings, almaty)


@pytest.fixture
def night(midnight: Midnight, make_session: Any, make_mother: Any, on_shift: Any) -> dict:
    """A child in each session: just after the centre's midnight, in the morning, late in
    the evening, and just after the next midnight."""
    on_shift(1, midnight.at(0, 0), midnight.at(0, 23, 59))
    on_shift(1, midnight.at(1, 0), midnight.at(1, 12))
    spans = {
        "early": ((0, 0, 20), (0, 1, 0)),
        "morning": ((0, 10, 0), (0, 12, 0)),
        "late": ((0, 23, 20), (0, 23, 50)),
        "tomorrow": ((1, 0, 20), (1, 1, 0)),
    }
    children = {}
    for name, (start, end) in spans.items():
        session = make_session(midnight.at(*start), midnight.at(*end))
        child = make_mother()
        kids.book(session, child)
        children[name] = child.given_name
    return children


def _page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _shown(page: str, night: dict) -> set[str]:
    return {name for name, child in night.items() if child in page}


def test_the_board_is_the_centres_today_just_after_its_midnight(
    midnight: Midnight, night: dict, client: Any, personas: dict
) -> None:
    client.force_login(personas["coordinator"])
    page = _page(client, reverse("kidsroom:board"))
    # By the server's clock it is still yesterday: the early session would be "today" and
    # the morning's and the evening's tomorrow.
    assert _shown(page, night) == {"early", "morning", "late"}
    assert "Today," in page
    # Its times on the centre's clock (the server's would say 22:20–23:00).
    assert "00:20–01:00" in page
    assert "23:20–23:50" in page
    assert "22:20" not in page


def test_a_day_typed_in_is_the_centres_day(
    midnight: Midnight, night: dict, client: Any, personas: dict
) -> None:
    client.force_login(personas["coordinator"])
    day = midnight.day
    board = reverse("kidsroom:board")
    assert _shown(_page(client, f"{board}?day={day}"), night) == {"early", "morning", "late"}
    tomorrow = _page(client, f"{board}?day={day + dt.timedelta(days=1)}")
    assert _shown(tomorrow, night) == {"tomorrow"}
    assert "Today," not in tomorrow
    quiet = _page(client, f"{board}?day={day - dt.timedelta(days=1)}")
    assert _shown(quiet, night) == set()
    # A quiet day points to the next one with children, by the centre's calendar.
    assert f"?day={day.isoformat()}" in quiet


def test_the_report_counts_the_centres_day(
    midnight: Midnight, night: dict, client: Any, personas: dict
) -> None:
    client.force_login(personas["director"])
    page = _page(client, reverse("kidsroom:report"))
    for times in ("00:20–01:00", "10:00–12:00", "23:20–23:50"):
        assert times in page
    assert page.count("<tr><td") == 3


def test_a_shift_typed_for_the_day_is_on_the_centres_clock(
    midnight: Midnight, client: Any, personas: dict, kids_room: Any, make_tutor: Any
) -> None:
    tutor = make_tutor()
    client.force_login(personas["coordinator"])
    url = reverse("kidsroom:shifts")
    response = client.post(url, {"tutor": tutor.pk, "starts": "00:30", "ends": "06:00"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?day={midnight.day.isoformat()}")
    shift = Shift.objects.get(tutor=tutor)
    assert shift.starts_at == midnight.at(0, 0, 30)
    assert "00:30–06:00" in _page(client, response["Location"])
    # Not on the day before by the centre's calendar, which the server's clock would say.
    yesterday = midnight.day - dt.timedelta(days=1)
    assert "00:30–06:00" not in _page(client, f"{url}?day={yesterday.isoformat()}")


def test_the_board_runs_the_same_queries_for_one_child_or_many(
    midnight: Midnight, night: dict, client: Any, personas: dict, make_mother: Any
) -> None:
    client.force_login(personas["coordinator"])
    morning = Booking.objects.get(child__given_name=night["morning"]).session
    assert morning is not None

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _page(client, reverse("kidsroom:board"))
        return len(ctx.captured_queries)

    before = count()
    for _ in range(3):
        kids.book(morning, make_mother())
    assert count() == before


def test_alerts_and_incidents_tell_their_time_on_the_centres_clock(
    midnight: Midnight, night: dict, client: Any, personas: dict
) -> None:
    booking = Booking.objects.select_related("child").get(child__given_name=night["early"])
    Alert.objects.create(
        centre=booking.centre,
        kind="check_out_blocked",
        child=booking.child,
        named="X",
        booking=booking,
        raised_at=midnight.at(0, 0, 40),
    )
    kids.record_incident(
        booking.child,
        kind="injury",
        what_happened="Упал",
        action_taken="Лёд",
        parent_informed=True,
        occurred_at=midnight.at(0, 0, 3),
    )
    client.force_login(personas["coordinator"])
    alerts = _page(client, reverse("kidsroom:alerts"))
    assert "00:40" in alerts  # 22:40 the evening before on the server's clock
    assert "00:20" in alerts  # the session's start
    assert "22:40" not in alerts
    incidents = _page(client, reverse("kidsroom:incidents"))
    assert f"{midnight.day.day} " in incidents
    assert "00:03" in incidents
    assert "22:03" not in incidents
