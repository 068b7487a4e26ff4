"""Permission rows for programmes: a shared world (a run at Almaty taught by the trainer
persona, two sessions, the survivor on a free seat), then each sub-domain's own rows."""

from __future__ import annotations

import datetime as dt

from mamapro.core.tests.rows import Rows, World, merge
from mamapro.programs.tests import rows_api, rows_attendance, rows_staff


def _build(w: World) -> None:
    from django.utils import timezone

    from mamapro.people import services as people
    from mamapro.programs.models import Course, Run, Session
    from mamapro.programs.services import enrollment as seats

    today = timezone.localdate()
    course = Course.objects.create(title="Компьютерная грамотность", category="computer_literacy")
    run = Run.objects.create(
        course=course,
        centre=w["almaty"],
        starts_on=today - dt.timedelta(days=7),
        ends_on=today + dt.timedelta(days=21),
        trainer=w["personas"]["trainer"],
        price="15000.00",
    )
    now = timezone.now()
    sessions = [
        Session.objects.create(
            run=run,
            centre=run.centre,
            starts_at=now + dt.timedelta(days=offset),
            ends_at=now + dt.timedelta(days=offset, hours=2),
        )
        for offset in (-1, 6)
    ]
    people.update_participant(w["participant"], data={}, eligibility_verified=True)
    w.update(
        course=course,
        run=run,
        session=sessions[0],
        next_session=sessions[1],
        enrollment=seats.enroll(run, w["participant"], "free"),
    )


def _ids(w: World) -> dict[str, int]:
    return {
        "course_id": w["course"].pk,
        "run_id": w["run"].pk,
        "session_id": w["session"].pk,
        "enrollment_id": w["enrollment"].pk,
    }


ROWS = merge(
    Rows(build=_build, path_ids=_ids), rows_staff.ROWS, rows_attendance.ROWS, rows_api.ROWS
)
