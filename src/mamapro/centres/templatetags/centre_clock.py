"""The centre's clock in templates: `{% timezone row.centre|centre_zone %}…{% endtimezone %}`
shows a row's times on its own centre's clock on a page over several centres."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import template

from mamapro.centres import clock
from mamapro.centres.models import Centre

register = template.Library()


@register.filter
def centre_zone(centre: Centre | str | None) -> ZoneInfo:
    """The centre's zone (an unknown name counts by the head office's, as clock.py does)."""
    return clock.centre_zone(centre)
