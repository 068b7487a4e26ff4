from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "mamapro.programs"
    label = "programs"
    verbose_name = _("Programmes")

    def ready(self) -> None:
        from mamapro.core import audit_viewer

        audit_viewer.register_subjects(_her_programme_records)
        from mamapro.people import subject_rights

        subject_rights.register(exporter=_export, eraser=_erase)
        from mamapro.core.permissions import Role
        from mamapro.people import reach
        from mamapro.programs.queries import trainer_reach

        # A trainer reaches the women of the runs she teaches, nobody else of the centre.
        reach.register_participants(Role.TRAINER, trainer_reach)


def _export(participant: Any) -> dict[str, Any]:
    from mamapro.people.subject_rights import row
    from mamapro.programs.models import Attendance, Certificate, Enrollment, Fee, TopicVote

    enrollments = list(Enrollment.objects.filter(participant=participant).order_by("id"))
    ids = [e.pk for e in enrollments]
    return {
        "enrollments": [row(e) for e in enrollments],
        "fees": [row(f) for f in Fee.objects.filter(enrollment_id__in=ids)],
        "attendance": [row(a) for a in Attendance.objects.filter(enrollment_id__in=ids)],
        "certificates": [row(c) for c in Certificate.objects.filter(enrollment_id__in=ids)],
        "topic_votes": [row(v) for v in TopicVote.objects.filter(participant=participant)],
    }


def _erase(participant: Any) -> None:
    from mamapro.programs.models import TopicRequest

    # Her seats, fees and attendance stay: they carry no name and the reports count them.
    TopicRequest.objects.filter(proposed_by=participant).update(proposed_by=None)


def _her_programme_records(participant_ids: list[int]) -> list[tuple[str, list[str]]]:
    from mamapro.programs.models import Attendance, Enrollment, Fee

    enrollments = list(
        Enrollment.objects.filter(participant_id__in=participant_ids).values_list("pk", flat=True)
    )
    return [
        (Enrollment._meta.label_lower, [str(pk) for pk in enrollments]),
        (
            Fee._meta.label_lower,
            [
                str(pk)
                for pk in Fee.objects.filter(enrollment_id__in=enrollments).values_list(
                    "pk", flat=True
                )
            ],
        ),
        (
            Attendance._meta.label_lower,
            [
                str(pk)
                for pk in Attendance.objects.filter(enrollment_id__in=enrollments).values_list(
                    "pk", flat=True
                )
            ],
        ),
    ]
