from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KidsRoomConfig(AppConfig):
    name = "mamapro.kidsroom"
    label = "kidsroom"
    verbose_name = _("Kids' room")

    def ready(self) -> None:
        # A confirmed seat books her children; a seat given up frees their places.
        from mamapro.centres import notices
        from mamapro.kidsroom import receivers  # noqa: F401
        from mamapro.kidsroom.views import alerts_notice, incidents_panel
        from mamapro.people import panels

        panels.register(incidents_panel)
        notices.register(alerts_notice)
        from mamapro.core import audit_viewer

        audit_viewer.register_subjects(_her_kids_room_records)
        from mamapro.people import subject_rights

        subject_rights.register(exporter=_export, eraser=_erase)
        # A tutor reaches the children booked in her room(s) and their mothers, nobody else.
        from mamapro.core.permissions import Role
        from mamapro.kidsroom.reach import tutor_children, tutor_mothers
        from mamapro.people import reach

        reach.register_children(Role.TUTOR, tutor_children)
        reach.register_participants(Role.TUTOR, tutor_mothers)


def _export(participant: Any) -> dict[str, Any]:
    from mamapro.kidsroom.models import Booking, Incident
    from mamapro.people.subject_rights import row

    return {
        "kids_room_bookings": [
            row(b) for b in Booking.objects.filter(child__parent=participant).order_by("id")
        ],
        "kids_room_incidents": [
            row(i) for i in Incident.objects.filter(child__parent=participant).order_by("id")
        ],
    }


def _erase(participant: Any) -> None:
    from mamapro.kidsroom.models import Alert, Booking, Incident

    Booking.objects.filter(child__parent=participant).update(brought_by="", collected_by=None)
    Incident.objects.filter(child__parent=participant).update(what_happened="—", action_taken="—")
    Alert.objects.filter(child__parent=participant).update(named="", adult=None)


def _her_kids_room_records(participant_ids: list[int]) -> list[tuple[str, list[str]]]:
    from mamapro.kidsroom.models import Alert, Booking, Incident

    def ids(model: type[Booking] | type[Incident] | type[Alert]) -> list[str]:
        rows = model.objects.filter(child__parent_id__in=participant_ids)
        return [str(pk) for pk in rows.values_list("pk", flat=True)]

    return [(m._meta.label_lower, ids(m)) for m in (Booking, Incident, Alert)]
