"""Permission rows: see notify/tests/permission_rows.py."""

from __future__ import annotations

from mamapro.core.tests.rows import Rows

ROWS = Rows()
