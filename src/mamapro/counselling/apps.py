from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounsellingConfig(AppConfig):
    name = "mamapro.counselling"
    label = "counselling"
    verbose_name = _("Counselling")

    def ready(self) -> None:
        from mamapro.core import audit_viewer
        from mamapro.people import subject_rights

        audit_viewer.register_subjects(_her_counselling_records)
        # Her export lists her appointments; the notes stay with their psychologist (they
        # are reached from nowhere but this app's own pages).
        subject_rights.register(exporter=_export, eraser=_erase)
        from mamapro.core.permissions import Role
        from mamapro.counselling.access import clients_q
        from mamapro.people import reach

        # A psychologist reaches her own clients, nobody else of the centre.
        reach.register_participants(Role.PSYCHOLOGIST, clients_q)


def _her_counselling_records(participant_ids: list[int]) -> list[tuple[str, list[str]]]:
    from mamapro.counselling.models import Appointment, Note

    ids = list(
        Appointment.objects.filter(participant_id__in=participant_ids).values_list("pk", flat=True)
    )
    notes = Note.objects.filter(appointment_id__in=ids).values_list("pk", flat=True)
    return [
        (Appointment._meta.label_lower, [str(pk) for pk in ids]),
        (Note._meta.label_lower, [str(pk) for pk in notes]),
    ]


def _export(participant: Any) -> dict[str, Any]:
    from mamapro.counselling.models import Appointment
    from mamapro.people.subject_rights import row

    return {
        "counselling_appointments": [
            row(a) for a in Appointment.objects.filter(participant=participant).order_by("id")
        ]
    }


def _erase(participant: Any) -> None:
    from mamapro.counselling.models import Note

    Note.objects.filter(appointment__participant=participant).update(text="—")
