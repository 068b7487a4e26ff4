"""API for attendance (shared/API.md: /sessions/{id}/attendance).

GET lists everyone on the session's roll with her mark (null while not marked), plus anyone
marked there who has since left the run. PUT takes a list of marks and saves them in one
transaction: marks not listed stay as they are, and one bad item writes nothing (422 naming
the item by its place in the list, e.g. `2.participant`).
"""

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema

from mamapro.core import permissions as perms
from mamapro.programs import queries
from mamapro.programs.models import Attendance, Session
from mamapro.programs.services import attendance as services

router = Router(tags=["attendance"])

MarkStatus = Literal["present", "late", "excused", "absent"]


class MarkIn(Schema):
    participant: int
    status: MarkStatus


class MarkOut(Schema):
    participant: int
    status: MarkStatus | None


def _session(request: HttpRequest, session_id: int) -> Session:
    """404 outside her centres; 403 for a trainer who does not teach this run."""
    session = perms.get_for_user(
        Session.objects.select_related("run"),
        request.user,
        perms.ATTENDANCE_RECORD,
        pk=session_id,
    )
    if not perms.may_take_roll_call(request.user, session.centre_id, session.run.trainer_id):
        raise PermissionDenied
    return session


def _marks(request: HttpRequest, session: Session) -> list[dict[str, Any]]:
    order = queries.name_order(request.user, session.centre_id)
    out = {
        line.enrollment.participant_id: {
            "participant": line.enrollment.participant_id,
            "status": line.mark,
        }
        for line in services.roll(session, order=order)
    }
    # Marks of women no longer on the roll (a no-show whose seat went to the waitlist).
    for participant_id, status in Attendance.objects.filter(session=session).values_list(
        "enrollment__participant_id", "status"
    ):
        out.setdefault(participant_id, {"participant": participant_id, "status": status})
    return list(out.values())


@router.get("/sessions/{session_id}/attendance", response=list[MarkOut])
@perms.rule(perms.ATTENDANCE_RECORD)
def get_attendance(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    return _marks(request, _session(request, session_id))


@router.put("/sessions/{session_id}/attendance", response=list[MarkOut])
@perms.rule(perms.ATTENDANCE_RECORD)
def put_attendance(
    request: HttpRequest, session_id: int, payload: list[MarkIn]
) -> list[dict[str, Any]]:
    session = _session(request, session_id)
    services.record_roll_call(
        session,
        [(item.participant, item.status) for item in payload],
        actor=perms.acting_user(request),
    )
    return _marks(request, session)
