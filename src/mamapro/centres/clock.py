"""A centre's clock: its time zone, its "now", its "today" and the bounds of its days.

The server's `TIME_ZONE` is the head office's; a centre keeps its own (`Centre.timezone`), and
everything that says "today", "tomorrow", "10:00" or "this week" about a centre counts by it:
the kids' room board, the roll call, the counselling week, reminders and her safe hours.

Every function takes a `Centre` or its time-zone name, so a list of rows decides each row by
its own centre without a query per row (load the centre with the row: `select_related`).
Zones are cached; an unknown name falls back to `TIME_ZONE` and is logged, so one mistyped
centre cannot take every page down (the centre's admin form is where a name is checked).

A page over several centres decides per row: `rows_on_day` keeps a row when it falls on the
day by its own centre's clock, after a query over `widest_bounds`, which hold that day
wherever on Earth a centre may be. When such a page needs one "today" for its heading,
`shared_today` gives the date its centres agree on, or the head office's when they differ.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

from mamapro.centres.models import Centre

if TYPE_CHECKING:
    from typing import TypeAlias

    # A centre, or its zone (a ZoneInfo or its name); None is the head office's.
    Where: TypeAlias = Centre | ZoneInfo | str | None

log = logging.getLogger(__name__)

T = TypeVar("T")

# Local time runs from UTC-12 to UTC+14: a day somewhere begins at most 14 hours before it
# begins in UTC and ends at most 12 hours after.
_EARLIEST_OFFSET = dt.timedelta(hours=14)
_LATEST_OFFSET = dt.timedelta(hours=12)


@lru_cache(maxsize=128)
def _zone_named(name: str, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.error("Unknown time zone %r on a centre; counting by %s instead", name, fallback)
        return ZoneInfo(fallback)


def default_zone() -> ZoneInfo:
    """The head office's zone (`TIME_ZONE`)."""
    return _zone_named(settings.TIME_ZONE, "UTC")


def centre_zone(centre: Where) -> ZoneInfo:
    """The centre's zone; a zone name or a ZoneInfo is taken as it is; None is `TIME_ZONE`."""
    if isinstance(centre, ZoneInfo):
        return centre
    name = centre if isinstance(centre, str) or centre is None else centre.timezone
    if not name:
        return default_zone()
    return _zone_named(name, settings.TIME_ZONE)


def centre_now(centre: Where, now: dt.datetime | None = None) -> dt.datetime:
    """`now` (the current moment without it) on the centre's clock."""
    return (now or timezone.now()).astimezone(centre_zone(centre))


def centre_today(centre: Where, now: dt.datetime | None = None) -> dt.date:
    """The centre's date at `now` (the current moment without it)."""
    return centre_now(centre, now).date()


def local(moment: dt.datetime, centre: Where) -> dt.datetime:
    """An aware moment on the centre's clock (a naive one is read as the centre's own time)."""
    tz = centre_zone(centre)
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def local_date(moment: dt.datetime, centre: Where) -> dt.date:
    """The centre's date at an aware moment."""
    return local(moment, centre).date()


def combine(day: dt.date, time: dt.time, centre: Where) -> dt.datetime:
    """The aware moment at `time` on `day` in the centre (wall-clock time as people say it)."""
    return dt.datetime.combine(day, time, tzinfo=centre_zone(centre))


def day_bounds(day: dt.date, centre: Where, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """From the centre's midnight starting `day` to its midnight `days` later, as aware
    datetimes in UTC (each midnight on its own offset: a day with a clock change is not 24
    hours, and Python's arithmetic within one zone would count it as 24)."""
    tz = centre_zone(centre)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time.min, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def widest_bounds(day: dt.date, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """Bounds that hold `day` (and `days - 1` after it) in every zone: a query over them,
    then `rows_on_day`, decides each row by its own centre with one query for all."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time.min, tzinfo=dt.UTC)
    return start - _EARLIEST_OFFSET, end + _LATEST_OFFSET


def rows_on_day(
    rows: Iterable[T],
    day: dt.date,
    *,
    moment: Callable[[T], dt.datetime],
    centre: Callable[[T], Where],
    days: int = 1,
) -> list[T]:
    """The rows whose `moment` falls on `day` (or the `days - 1` after it) by their own
    centre's clock, in their order."""
    last = day + dt.timedelta(days=days - 1)
    return [row for row in rows if day <= local_date(moment(row), centre(row)) <= last]


def shared_today(centres: Iterable[Where], now: dt.datetime | None = None) -> dt.date:
    """The date all these centres agree it is; the head office's when they do not (near a
    midnight, between centres on different clocks) or there are none. A page over several
    centres heads its day by it; its rows still fall on days by their own centre's clock."""
    now = now or timezone.now()
    found = {centre_today(c, now) for c in centres}
    if len(found) == 1:
        return found.pop()
    return centre_today(None, now)


def zones_of(centre_ids: Iterable[int] | None) -> dict[int, ZoneInfo]:
    """The zones of these centres (None: of every centre), in one query."""
    qs = Centre.objects.all()
    if centre_ids is not None:
        qs = qs.filter(pk__in=list(centre_ids))
    return {pk: centre_zone(name) for pk, name in qs.values_list("pk", "timezone")}


def page_today(centre_ids: Iterable[int] | None, now: dt.datetime | None = None) -> dt.date:
    """`shared_today` of these centres (None: of every centre), in one query."""
    return shared_today(zones_of(centre_ids).values(), now)
