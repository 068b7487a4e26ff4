"""Template helpers shared by every domain."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def months_between(born: dt.date, today: dt.date) -> int:
    return (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)


@register.filter
def age(born: dt.date | None) -> str:
    """A child's age in the page's language: "5 years, 3 months" / "5 жас 3 ай" / "5 лет 3 месяца".

    Django's own timesince has no Kazakh translation and falls back to Russian, so this
    project says ages itself.
    """
    if born is None:
        return ""
    months = max(0, months_between(born, timezone.localdate()))
    years, months = divmod(months, 12)
    year_text = ngettext("%(n)s year", "%(n)s years", years) % {"n": years}
    month_text = ngettext("%(n)s month", "%(n)s months", months) % {"n": months}
    if years == 0:
        return month_text
    if months == 0 or years >= 6:
        return year_text
    return _("%(years)s, %(months)s") % {"years": year_text, "months": month_text}
