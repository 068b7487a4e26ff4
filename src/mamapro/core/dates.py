"""A day typed into a page's address (`?day=`, `?from=`): one rule for every page.

Outside these years a date is a typing error, and year 1 or 9999 would overflow the
arithmetic of the day before and after (or a week on), which used to be a 500.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def day_param(request: HttpRequest, name: str) -> dt.date | None:
    """The day in `?<name>=` (YYYY-MM-DD), None without one; a ValidationError naming the
    parameter for anything else (an impossible date, another form, a year out of range)."""
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    day = None
    if _ISO_DAY.fullmatch(raw):
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(
            {
                name: _(
                    "“%(field)s”: give a real date between %(first)s and %(last)s, as YYYY-MM-DD."
                )
                % {"field": name, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
            }
        )
    return day
