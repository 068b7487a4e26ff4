"""The centre's clock: its zone, now, today and days, against a server on another clock."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mamapro.centres import clock
from mamapro.centres.models import Centre

UTC = dt.UTC
TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9
AQTOBE = ZoneInfo("Asia/Aqtobe")  # UTC+5, as Almaty since 2024: a server elsewhere shows it


def test_almaty_and_aqtobe_share_one_offset_now_so_tests_use_another_clock() -> None:
    # Kazakhstan moved to one zone (UTC+5) in 2024: a test with a centre in Aqtobe beside the
    # default Almaty proves nothing unless the server's clock is somewhere else.
    winter = dt.datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert winter.astimezone(ZoneInfo("Asia/Almaty")).utcoffset() == dt.timedelta(hours=5)
    assert winter.astimezone(AQTOBE).utcoffset() == dt.timedelta(hours=5)


def test_centre_zone_takes_a_centre_a_name_a_zone_or_none(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Moscow"
    centre = Centre(name="Ақтөбе", city="Ақтөбе", region="aktobe", timezone="Asia/Aqtobe")
    assert clock.centre_zone(centre) == AQTOBE
    assert clock.centre_zone("Asia/Tokyo") == TOKYO
    assert clock.centre_zone(TOKYO) is TOKYO
    assert clock.centre_zone(None) == ZoneInfo("Europe/Moscow")
    assert clock.centre_zone("") == ZoneInfo("Europe/Moscow")


def test_an_unknown_zone_counts_by_the_head_office_and_is_logged(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.TIME_ZONE = "Europe/Moscow"
    assert clock.centre_zone("Asia/Nowhere-Town") == ZoneInfo("Europe/Moscow")
    assert clock.centre_zone("../../etc/passwd") == ZoneInfo("Europe/Moscow")
    assert "Asia/Nowhere-Town" in caplog.text


def test_now_and_today_are_the_centres_around_its_midnight(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Moscow"
    # 23:30 on 1 December in Moscow is 00:30 on 2 December in Aqtobe.
    moment = dt.datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
    assert clock.centre_today("Asia/Aqtobe", moment) == dt.date(2026, 12, 2)
    assert clock.centre_today(None, moment) == dt.date(2026, 12, 1)
    assert clock.centre_now("Asia/Aqtobe", moment).strftime("%H:%M") == "01:30"
    assert clock.local(moment, "Asia/Tokyo").hour == 5
    assert clock.local_date(moment, "Asia/Tokyo") == dt.date(2026, 12, 2)


def test_a_naive_moment_is_read_as_the_centres_own_time() -> None:
    naive = dt.datetime(2026, 12, 1, 10, 0)
    assert clock.local(naive, "Asia/Tokyo") == dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def test_combine_and_day_bounds_are_the_centres_wall_clock() -> None:
    ten = clock.combine(dt.date(2026, 12, 1), dt.time(10), "Asia/Aqtobe")
    assert ten == dt.datetime(2026, 12, 1, 5, tzinfo=UTC)
    start, end = clock.day_bounds(dt.date(2026, 12, 1), "Asia/Tokyo")
    assert start == dt.datetime(2026, 11, 30, 15, tzinfo=UTC)
    assert end - start == dt.timedelta(days=1)
    week_start, week_end = clock.day_bounds(dt.date(2026, 12, 1), "Asia/Tokyo", days=7)
    assert week_end - week_start == dt.timedelta(days=7)


def test_a_day_with_a_clock_change_is_not_24_hours() -> None:
    # Europe/Berlin moves to summer time on 29 March 2026: that day has 23 hours.
    start, end = clock.day_bounds(dt.date(2026, 3, 29), "Europe/Berlin")
    assert end - start == dt.timedelta(hours=23)


def test_rows_on_day_decides_each_row_by_its_own_centre() -> None:
    day = dt.date(2026, 12, 2)
    start, end = clock.widest_bounds(day)
    # 00:30 on 2 December in Tokyo, and 23:30 on 1 December in Moscow: the same moment.
    tokyo = ("tokyo", dt.datetime(2026, 12, 1, 15, 30, tzinfo=UTC), "Asia/Tokyo")
    moscow = ("moscow", dt.datetime(2026, 12, 1, 20, 30, tzinfo=UTC), "Europe/Moscow")
    late_moscow = ("late", dt.datetime(2026, 12, 2, 20, 30, tzinfo=UTC), "Europe/Moscow")
    rows = [tokyo, moscow, late_moscow]
    for _, moment, _ in rows:
        assert start <= moment < end
    kept = clock.rows_on_day(rows, day, moment=lambda r: r[1], centre=lambda r: r[2])
    assert [r[0] for r in kept] == ["tokyo", "late"]


def test_widest_bounds_hold_the_day_in_every_zone() -> None:
    day = dt.date(2026, 12, 2)
    start, end = clock.widest_bounds(day, days=2)
    for name in ("Pacific/Kiritimati", "Etc/GMT+12", "Asia/Aqtobe", "America/Los_Angeles"):
        first, last = clock.day_bounds(day, name, days=2)
        assert start <= first, name
        assert last <= end, name


def test_shared_today_is_the_date_they_agree_on_or_the_head_offices(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Moscow"
    # 00:30 on 2 December in Aqtobe and in Almaty (one clock, two names); 22:30 in Moscow.
    moment = dt.datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
    assert clock.shared_today(["Asia/Aqtobe", "Asia/Almaty"], moment) == dt.date(2026, 12, 2)
    assert clock.shared_today(["Asia/Aqtobe", "Europe/Moscow"], moment) == dt.date(2026, 12, 1)
    # Different clocks that agree on the date (04:30 in Tokyo) head the page by it.
    assert clock.shared_today(["Asia/Aqtobe", "Asia/Tokyo"], moment) == dt.date(2026, 12, 2)
    assert clock.shared_today([], moment) == dt.date(2026, 12, 1)


@pytest.mark.django_db
def test_zones_of_and_page_today_read_the_centres_in_one_query(
    settings: Any, django_assert_num_queries: Any
) -> None:
    settings.TIME_ZONE = "Europe/Moscow"
    aqtobe = Centre.objects.create(
        name="Ақтөбе", city="Ақтөбе", region="aktobe", timezone="Asia/Aqtobe"
    )
    tokyo = Centre.objects.create(
        name="Tokyo", city="Tokyo", region="aktobe", timezone="Asia/Tokyo"
    )
    moment = dt.datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
    with django_assert_num_queries(1):
        assert clock.zones_of(None) == {aqtobe.pk: AQTOBE, tokyo.pk: TOKYO}
    with django_assert_num_queries(1):
        assert clock.page_today([aqtobe.pk], moment) == dt.date(2026, 12, 2)
    assert clock.page_today([aqtobe.pk, tokyo.pk], moment) == dt.date(2026, 12, 2)
    assert clock.page_today(None, dt.datetime(2026, 12, 1, 14, 30, tzinfo=UTC)) == dt.date(
        2026, 12, 1
    )
