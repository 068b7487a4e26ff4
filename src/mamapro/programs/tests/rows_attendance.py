"""Permission rows for roll call, follow-ups and certificates.

Roll call: the run's trainer, the centre's coordinator and the director; a trainer of another
run gets 403 (the object check), another centre's coordinator 404. Follow-ups and
certificates: the coordinator and the director. The certificate check is public.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mamapro.core.tests.rows import ApiRow, Rows, WebRow, World, table

ROLL_CALL = table(403, director=200, coordinator=200, trainer=200, outsider=404)
COORDINATION = table(403, director=200, coordinator=200, outsider=404)
COORDINATION_POST = table(403, director=302, coordinator=302, outsider=404)
# Her own centre's list (empty for Almaty's data): a list never answers 404.
OWN_LIST = table(403, director=200, coordinator=200, outsider=200)


def _build(w: World) -> None:
    from django.utils import timezone

    from mamapro.programs.models import Attendance, Enrollment, FollowUpTask, Run, Session
    from mamapro.programs.services import attendance

    w["follow_up"] = FollowUpTask.objects.create(
        centre=w["almaty"], enrollment=w["enrollment"], reason=FollowUpTask.Reason.TWO_ABSENCES
    )
    # A run that ended last week, which she completed: her certificate.
    today = timezone.localdate()
    past = Run.objects.create(
        course=w["course"],
        centre=w["almaty"],
        starts_on=today - dt.timedelta(days=30),
        ends_on=today - dt.timedelta(days=7),
        trainer=w["personas"]["trainer"],
        price="0",
    )
    start = timezone.now() - dt.timedelta(days=20)
    session = Session.objects.create(
        run=past, centre=past.centre, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    done = Enrollment.objects.create(
        run=past,
        centre=past.centre,
        participant=w["participant"],
        seat_type=Enrollment.SeatType.FREE,
        status=Enrollment.Status.CONFIRMED,
        confirmed_at=start - dt.timedelta(days=14),
    )
    Attendance.objects.create(
        session=session, enrollment=done, centre=past.centre, status="present"
    )
    w["certificate"] = attendance.complete_run(past).certificates[0]


def _body(w: World) -> Any:
    # The API takes a list here (shared/API.md), not an object.
    return [{"participant": w["participant"].pk, "status": "present"}]


ROWS = Rows(
    web={
        "programs:roll_call_list": WebRow("get", table(403, **{**ROLL_CALL, "outsider": 200})),
        "programs:roll_call": WebRow("get", ROLL_CALL, lambda w: {"pk": w["session"].pk}),
        "programs:run_attendance": WebRow("get", ROLL_CALL, lambda w: {"pk": w["run"].pk}),
        # The run has not ended: the service refuses, the page says why (a redirect back).
        "programs:run_complete": WebRow("post", COORDINATION_POST, lambda w: {"pk": w["run"].pk}),
        "programs:follow_up_list": WebRow("get", OWN_LIST),
        "programs:follow_up_done": WebRow(
            "post",
            COORDINATION_POST,
            lambda w: {"pk": w["follow_up"].pk},
            data=lambda w: {"note": "Called her; she will come on Monday."},
        ),
        "programs:certificate_pdf": WebRow(
            "get", COORDINATION, lambda w: {"pk": w["certificate"].pk}
        ),
        "programs:certificate_verify": WebRow("get", table(200), public=True),
        "programs:certificate_check": WebRow(
            "get", table(200), lambda w: {"code": w["certificate"].code}, public=True
        ),
    },
    api={
        ("GET", "/sessions/{session_id}/attendance"): ApiRow(ROLL_CALL),
        ("PUT", "/sessions/{session_id}/attendance"): ApiRow(ROLL_CALL, body=_body),
    },
    build=_build,
)
