"""The counselling week runs from the centre's midnight to its midnight seven days on, each
appointment on its centre's day and clock, while the server's clock reads the day before."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mamapro.centres.models import Centre
from mamapro.centres.tests.midnight import Midnight, just_after_midnight
from mamapro.counselling.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def midnight(monkeypatch: pytest.MonkeyPatch, settings: Any, almaty: Centre) -> Midnight:
    return just_after_midnight(monkeypatch, settings, almaty)


@pytest.fixture
def week(midnight: Midnight, personas: dict, make_women: Any) -> dict[str, Appointment]:
    """Appointments either side of the week's two midnights (the centre's)."""
    spans = {
        "before": (-1, 23, 20),  # the evening before the week: not in it
        "first": (0, 0, 20),  # just after its first midnight
        "last": (6, 23, 20),  # the last evening of the week
        "after": (7, 0, 20),  # just after its last midnight: next week
    }
    found = {}
    for (name, (days, hour, minute)), woman in zip(
        spans.items(), make_women(len(spans)), strict=True
    ):
        starts = midnight.at(days, hour, minute)
        found[name] = Appointment.objects.create(
            centre=woman.centre,
            psychologist=personas["psychologist"],
            participant=woman,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=30),
        )
    return found


def _in_page(page: str, week: dict[str, Appointment]) -> set[str]:
    return {
        name for name, a in week.items() if reverse("counselling:appointment", args=[a.pk]) in page
    }


def test_the_week_is_the_centres_from_its_today(
    midnight: Midnight, week: dict, client: Any, personas: dict
) -> None:
    client.force_login(personas["psychologist"])
    page = client.get(reverse("counselling:schedule")).content.decode()
    # By the server's clock the week would start yesterday: "before" in, "last" out.
    assert _in_page(page, week) == {"first", "last"}
    assert "00:20–00:50" in page
    assert "23:20–23:50" in page


def test_a_week_typed_in_is_the_centres_days_and_headed_by_them(
    midnight: Midnight, week: dict, client: Any, personas: dict
) -> None:
    client.force_login(personas["psychologist"])
    url = reverse("counselling:schedule")
    page = client.get(f"{url}?from={midnight.day.isoformat()}").content.decode()
    assert _in_page(page, week) == {"first", "last"}
    # The first appointment is headed by the centre's date, not the server's day before.
    first_heading = page.index("<h2>")
    assert midnight.day.strftime("%A") in page[first_heading : first_heading + 80]
    later = midnight.day + dt.timedelta(days=7)
    assert _in_page(client.get(f"{url}?from={later}").content.decode(), week) == {"after"}


def test_a_director_sees_each_centres_appointments_on_its_own_days_and_clock(
    midnight: Midnight, week: dict, client: Any, personas: dict, astana: Centre, make_women: Any
) -> None:
    # Astana on Tokyo's clock for the test, four hours ahead of Aqtobe.
    astana.timezone = "Asia/Tokyo"
    astana.save(update_fields=["timezone"])
    tokyo = ZoneInfo("Asia/Tokyo")
    inside, outside = make_women(2, centre=astana)
    spans = [
        # 02:00 on the week's first day in Tokyo (22:00 the evening before in Aqtobe): in it.
        (inside, dt.datetime.combine(midnight.day, dt.time(2), tzinfo=tokyo)),
        # 03:00 the day after the week in Tokyo (23:00 its last evening in Aqtobe): not in it.
        (
            outside,
            dt.datetime.combine(midnight.day + dt.timedelta(days=7), dt.time(3), tzinfo=tokyo),
        ),
    ]
    for woman, starts in spans:
        Appointment.objects.create(
            centre=astana,
            psychologist=personas["psychologist"],
            participant=woman,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=30),
        )
    client.force_login(personas["director"])
    url = f"{reverse('counselling:schedule')}?from={midnight.day.isoformat()}"
    page = client.get(url).content.decode()
    assert "02:00–02:30" in page  # on Tokyo's clock
    assert "22:00–22:30" not in page
    assert "03:00–03:30" not in page
    assert "23:00–23:30" not in page
    assert "00:20–00:50" in page
    assert "23:20–23:50" in page


def test_the_appointment_page_tells_its_time_on_the_centres_clock(
    midnight: Midnight, week: dict, client: Any, personas: dict
) -> None:
    client.force_login(personas["psychologist"])
    page = client.get(reverse("counselling:appointment", args=[week["first"].pk])).content.decode()
    assert "00:20–00:50" in page
    assert f"?from={midnight.day.isoformat()}" in page


def test_the_week_runs_the_same_queries_for_few_appointments_or_many(
    midnight: Midnight, week: dict, client: Any, personas: dict, make_women: Any
) -> None:
    client.force_login(personas["psychologist"])
    url = reverse("counselling:schedule")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i, woman in enumerate(make_women(3)):
        starts = midnight.at(2, 10 + i)
        Appointment.objects.create(
            centre=woman.centre,
            psychologist=personas["psychologist"],
            participant=woman,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=30),
        )
    assert count() == before
