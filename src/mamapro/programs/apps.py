from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "mamapro.programs"
    label = "programs"
    verbose_name = _("Programmes")

    def ready(self) -> None:
        from mamapro.core import audit_viewer

        audit_viewer.register_subjects(_her_programme_records)


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
