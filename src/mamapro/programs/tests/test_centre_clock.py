"""The trainer's roll-call list (today, tomorrow, the last seven days), the roll call and the
register, and the list of runs count the centre's days on its clock, around its midnight,
while the server's clock still reads the day before (centres/clock.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from mamapro.centres.models import Centre
from mamapro.centres.tests.midnight import Midnight, just_after_midnight
from mamapro.programs.models import Run, Session
from mamapro.programs.tests.attendance_world import enroll_before_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def midnight(monkeypatch: pytest.MonkeyPatch, settings: Any, almaty: Centre) -> Midnight:
    return just_after_midnight(monkeypatch, settings, almaty)


@pytest.fixture
def taught(midnight: Midnight, make_run: Any, personas: dict) -> Run:
    return make_run(starts_in=-20, days=40, trainer=personas["trainer"])


@pytest.fixture
def sessions(midnight: Midnight, taught: Run) -> dict[str, Session]:
    spans = {
        "too_old": (-8, 23, 30),  # eight days ago at the centre: out of the window
        "week_ago": (-7, 0, 30),  # seven days ago: the window's first hour
        "yesterday": (-1, 23, 30),  # the server calls it today
        "today": (0, 0, 30),
        "tomorrow_late": (1, 23, 0),  # the server calls it the day after tomorrow
        "after_tomorrow": (2, 0, 30),  # the server calls it tomorrow
    }
    found = {}
    for name, (days, hour, minute) in spans.items():
        starts = midnight.at(days, hour, minute)
        found[name] = Session.objects.create(
            run=taught,
            centre_id=taught.centre_id,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=20),
        )
    return found


def _groups(page: str, sessions: dict[str, Session]) -> dict[str, str]:
    """Session name → the heading it is listed under."""
    headings = [
        (page.index(f">{h}</h2>"), h)
        for h in ("Today", "Tomorrow", "The last seven days")
        if f">{h}</h2>" in page
    ]
    out = {}
    for name, s in sessions.items():
        link = reverse("programs:roll_call", args=[s.pk]) + '"'
        if link in page:
            at = page.index(link)
            out[name] = max((pos, h) for pos, h in headings if pos < at)[1]
    return out


def test_the_roll_call_list_is_the_centres_today_tomorrow_and_week(
    midnight: Midnight,
    sessions: dict[str, Session],
    client: Any,
    personas: dict,
    django_assert_num_queries: Any,
) -> None:
    client.force_login(personas["trainer"])
    with django_assert_num_queries(5):
        page = client.get(reverse("programs:roll_call_list")).content.decode()
    assert _groups(page, sessions) == {
        "week_ago": "The last seven days",
        "yesterday": "The last seven days",
        "today": "Today",
        "tomorrow_late": "Tomorrow",
    }
    # On the centre's clock, not the server's (22:30 the evening before).
    assert "00:30–00:50" in page
    assert "22:30" not in page


def test_the_roll_call_and_the_register_tell_the_centres_time(
    midnight: Midnight,
    sessions: dict[str, Session],
    client: Any,
    personas: dict,
    taught: Run,
    make_women: Any,
) -> None:
    enroll_before_start(taught, make_women(1))
    client.force_login(personas["trainer"])
    page = client.get(reverse("programs:roll_call", args=[sessions["today"].pk])).content.decode()
    assert "00:30–00:50" in page
    assert midnight.day.strftime("%A") in page
    register = client.get(reverse("programs:run_attendance", args=[taught.pk])).content.decode()
    assert midnight.day.strftime("%-d.%m") in register
    assert (midnight.day - dt.timedelta(days=1)).strftime("%-d.%m 22:30") not in register


def test_a_run_that_ended_yesterday_at_the_centre_is_not_upcoming(
    midnight: Midnight, make_run: Any, client: Any, personas: dict
) -> None:
    # The server's clock says it ends today; the centre's day has moved on.
    ended = make_run(starts_in=-10, days=10, title="Ended yesterday")
    assert ended.ends_on == midnight.day - dt.timedelta(days=1)
    ends_today = make_run(starts_in=-9, days=10, title="Ends today")
    client.force_login(personas["coordinator"])
    page = client.get(reverse("programs:run_list")).content.decode()
    assert ends_today.display_title in page
    assert ended.display_title not in page
