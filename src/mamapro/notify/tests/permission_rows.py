"""Permission rows for the notify app, gathered from each area's own list."""

from __future__ import annotations

from mamapro.core.tests.rows import merge
from mamapro.notify.tests import rows_hooks, rows_offers, rows_staff, rows_telegram, rows_templates

ROWS = merge(
    rows_hooks.ROWS, rows_offers.ROWS, rows_staff.ROWS, rows_telegram.ROWS, rows_templates.ROWS
)
