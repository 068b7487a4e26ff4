"""Permission rows for the template editor: see notify/tests/permission_rows.py.

Templates are the network's words, not a centre's: whoever holds TEMPLATES_EDIT at any
centre (the director, coordinators — the Astana one, `outsider`, included — and
communications) opens and saves them; every other role gets 403. Nothing on these pages
names a woman: the previews use made-up sample values.
"""

from __future__ import annotations

from mamapro.core.tests.rows import Rows, WebRow, World, table

EDITORS = dict(director=200, coordinator=200, comms=200, outsider=200)
SAVED = table(403, director=302, coordinator=302, comms=302, outsider=302)


def _key(w: World) -> dict[str, str]:
    return {"kind": "offer", "variant": "standard", "language": "kk"}


def _text(w: World) -> dict[str, str]:
    return {"text": "{name}, «{course}» курсында сізге орын бар: {link}", "base_version": "0"}


ROWS = Rows(
    web={
        "notify_template_list": WebRow("get", table(403, **EDITORS)),
        "notify_template_edit": WebRow("get", table(403, **EDITORS), _key),
        "notify_template_preview": WebRow("post", table(403, **EDITORS), _key, _text),
    }
)
