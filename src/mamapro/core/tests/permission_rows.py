from __future__ import annotations

from mamapro.core.tests.rows import ALL_OK, ApiRow, Rows, WebRow, table

ROWS = Rows(
    web={
        "home": WebRow("get", ALL_OK),
        "healthz": WebRow("get", ALL_OK, public=True),
        "login": WebRow("get", table(302), public=True),  # already signed in: straight on
        "logout": WebRow("post", table(302), public=True),
        "set_language": WebRow("post", table(302), public=True),
        "switch_centre": WebRow("post", table(302)),
        # Signed in and past the second factor (or not needing one): straight on.
        "two_factor": WebRow("get", table(302)),
        # The audit log is the director's alone.
        "audit_log": WebRow("get", table(403, director=200)),
        "audit_export": WebRow("get", table(403, director=200)),
    },
    api={("GET", "/centres"): ApiRow(table(200, norole=403))},
)
