"""Permission rows for counselling. The schedule (slots only) is for coordinators, the director
and psychologists; an appointment, its notes and its status are its psychologist's alone (a
clinical lead also reads; that is tested in test_counselling.py)."""

from __future__ import annotations

import datetime as dt

from mamapro.core.tests.rows import Rows, WebRow, World, table


def _build(w: World) -> None:
    from django.utils import timezone

    from mamapro.counselling import services

    start = timezone.now() + dt.timedelta(days=1)
    w["appointment"] = services.book(
        w["personas"]["psychologist"], w["participant"], start, start + dt.timedelta(hours=1)
    )
    services.write_note(
        w["appointment"], w["personas"]["psychologist"], "Тревожность после переезда"
    )


def _appointment(w: World) -> dict[str, int]:
    return {"pk": w["appointment"].pk}


ROWS = Rows(
    web={
        "counselling:schedule": WebRow(
            "get", table(403, director=200, coordinator=200, psychologist=200, outsider=200)
        ),
        "counselling:appointment_create": WebRow("get", table(403, psychologist=200)),
        # Finds a woman to book by her exact phone or full name (audited), never a list.
        "counselling:client_find": WebRow(
            "get", table(403, psychologist=200), data=lambda w: {"q": w["participant"].phone}
        ),
        "counselling:appointment": WebRow("get", table(403, psychologist=200), _appointment),
        "counselling:note_add": WebRow(
            "post",
            table(403, psychologist=302),
            _appointment,
            data=lambda w: {"text": "Первая встреча, тревожность."},
        ),
        "counselling:appointment_status": WebRow(
            "post",
            table(403, psychologist=302),
            _appointment,
            data=lambda w: {"status": "cancelled"},
        ),
    },
    build=_build,
)
