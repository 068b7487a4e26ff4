"""A world just after a centre's midnight while the server's clock still reads the day before.

The centre counts by Asia/Aqtobe (UTC+5, as every Kazakh centre since 2024); the server's
`TIME_ZONE` is set to Europe/Moscow (UTC+3), so that from 00:00 to 02:00 in Aqtobe the two
disagree on the date: code that counts "today" by the server puts a centre's night on the
wrong day. The moment is fixed (Django's clock, `timezone.now`, is set to it), ten days ahead
so that everything booked for it is in the future for the services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from mamapro.centres import clock
from mamapro.centres.models import Centre

CENTRE_ZONE = "Asia/Aqtobe"
SERVER_ZONE = "Europe/Moscow"


@dataclass(frozen=True)
class Midnight:
    day: dt.date  # the centre's today
    now: dt.datetime  # 00:05 on `day` at the centre, 22:05 the day before on the server

    def at(self, days: int, hour: int, minute: int = 0) -> dt.datetime:
        """`hour:minute` at the centre, `days` after its today."""
        return clock.combine(self.day + dt.timedelta(days=days), dt.time(hour, minute), CENTRE_ZONE)


def just_after_midnight(
    monkeypatch: pytest.MonkeyPatch, settings: object, *centres: Centre
) -> Midnight:
    settings.TIME_ZONE = SERVER_ZONE  # type: ignore[attr-defined]
    for centre in centres:
        centre.timezone = CENTRE_ZONE
        centre.save(update_fields=["timezone"])
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).date()
    now = clock.combine(day, dt.time(0, 5), CENTRE_ZONE)
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert timezone.localdate(now) == day - dt.timedelta(days=1), "the server reads yesterday"
    return Midnight(day, now)
