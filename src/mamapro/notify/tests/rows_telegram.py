"""Permission rows for linking her Telegram (notify/views_telegram.py): the care team, at her
own centre (another centre's coordinator gets 404). The table's world has no bot configured,
so the care team is sent back to her page with the reason (302); the link page itself is
tested in test_telegram_links.py."""

from __future__ import annotations

from mamapro.core.tests.rows import Rows, WebRow, table

ROWS = Rows(
    web={
        "notify_telegram_link": WebRow(
            "post",
            table(403, director=302, coordinator=302, outsider=404),
            lambda w: {"pk": w["participant"].pk},
        ),
    },
)
