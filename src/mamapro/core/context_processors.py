from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from mamapro.core import permissions as perms


def staff(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's principal and the menu entries her roles may use."""
    if not request.user.is_authenticated:
        return {}
    me = perms.principal(request.user)
    return {
        "me": me,
        "nav": {
            "participants": me.can(perms.PARTICIPANT_VIEW),
            "register": me.can(perms.PARTICIPANT_EDIT),
            "runs": me.can(perms.PROGRAM_VIEW),
            "applications": me.can(perms.ENROLLMENT_EDIT),
            "roll_call": me.can(perms.ATTENDANCE_RECORD),
            "follow_ups": me.can(perms.FOLLOW_UP_MANAGE),
            "topics": me.can(perms.TOPICS_VIEW),
            "audit": me.can(perms.AUDIT_VIEW),
            "counselling": me.can(perms.COUNSELLING_SCHEDULE),
            "kids_room": me.can(perms.KIDSROOM_VIEW),
            "kids_room_report": me.can(perms.KIDSROOM_REPORT) and not me.can(perms.KIDSROOM_VIEW),
            "messages": me.can(perms.MESSAGES_VIEW),
            "message_templates": me.can(perms.TEMPLATES_EDIT),
            "alert_contact": me.is_staff_member,
        },
    }
