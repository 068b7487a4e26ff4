from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "mamapro.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from mamapro.core import audit_viewer
        from mamapro.people.audit_subjects import find_people, her_records

        audit_viewer.register_person_finder(find_people)
        audit_viewer.register_subjects(her_records)
