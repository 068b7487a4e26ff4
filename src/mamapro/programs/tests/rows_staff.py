"""Permission rows for the coordinator's run pages."""

from __future__ import annotations

from mamapro.core.tests.rows import Rows, WebRow, World, table

RUN_READERS = dict(
    director=200, coordinator=200, manager=200, comms=200, trainer=200, tutor=200, outsider=404
)
CARE_POST = table(403, director=302, coordinator=302, outsider=404)


def _run(w: World) -> dict[str, int]:
    return {"pk": w["run"].pk}


def _enrollment(w: World) -> dict[str, int]:
    return {"pk": w["enrollment"].pk}


def _build(w: World) -> None:
    from mamapro.people import services as people
    from mamapro.programs.services import enrollment as seats

    # A paid seat, so that there is a fee to mark.
    woman = people.create_participant(
        centre=w["almaty"],
        data={"given_name": "Ботагөз", "family_name": "Тұрсынова", "phone": "+77015559911"},
    )
    w["fee"] = seats.enroll(w["run"], woman, "paid").fee


ROWS = Rows(
    web={
        "programs:run_list": WebRow("get", table(403, **{**RUN_READERS, "outsider": 200})),
        "programs:run_detail": WebRow("get", table(403, **RUN_READERS), _run),
        # The outsider coordinates Astana: she may open runs there.
        "programs:run_create": WebRow(
            "get", table(403, director=200, coordinator=200, outsider=200)
        ),
        "programs:run_candidates": WebRow(
            "get", table(403, director=200, coordinator=200, outsider=404), _run
        ),
        "programs:run_enroll": WebRow(
            "post",
            CARE_POST,
            _run,
            data=lambda w: {"participant": w["participant"].pk, "seat_type": "paid"},
        ),
        "programs:run_seats": WebRow(
            "post", CARE_POST, _run, data=lambda w: {"paid_seats": 12, "free_seats": 10}
        ),
        "programs:run_sponsor": WebRow(
            "post", CARE_POST, _run, data=lambda w: {"seats": 2, "sponsor": "Halyk"}
        ),
        "programs:run_release": WebRow("post", CARE_POST, _run),
        "programs:enrollment_withdraw": WebRow("post", CARE_POST, _enrollment),
        "programs:enrollment_accept": WebRow("post", CARE_POST, _enrollment),
        "programs:enrollment_decline": WebRow("post", CARE_POST, _enrollment),
        "programs:enrollment_seat_type": WebRow(
            "post", CARE_POST, _enrollment, data=lambda w: {"seat_type": "paid"}
        ),
        "programs:fee_status": WebRow(
            "post",
            table(403, director=302, coordinator=302, manager=302, outsider=404),
            lambda w: {"pk": w["fee"].pk},
            data=lambda w: {"status": "paid"},
        ),
    },
    build=_build,
)
