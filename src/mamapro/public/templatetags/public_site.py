"""Template helpers for the public site."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from mamapro.programs.models import Run
from mamapro.public import safety

register = template.Library()

_SYMBOLS = {"KZT": "₸"}
NBSP = "\u00a0"


@register.simple_tag
def quick_exit_url() -> str:
    return safety.QUICK_EXIT_URL


@register.filter
def price(run: Run) -> str:
    """'15 000 ₸' (spaces group thousands, as Kazakhstan writes prices); 'Free' for 0."""
    amount: Decimal = run.price
    if not amount:
        return _("Free")
    whole = f"{amount:,.0f}" if amount == amount.to_integral() else f"{amount:,.2f}"
    symbol = _SYMBOLS.get(run.currency, run.currency)
    return whole.replace(",", NBSP) + NBSP + symbol
