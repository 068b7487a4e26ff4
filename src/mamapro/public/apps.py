from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The public site: catalogue, applications, workshop topics. No login, no trackers."""

    name = "mamapro.public"
    label = "public"
    verbose_name = _("Public site")

    def ready(self) -> None:
        from mamapro.people import subject_rights

        subject_rights.register(exporter=_export, eraser=_erase)


def _export(participant: Any) -> dict[str, Any]:
    from mamapro.people.subject_rights import row
    from mamapro.public.models import Application

    return {
        "applications": [
            row(a) for a in Application.objects.filter(participant=participant).order_by("id")
        ]
    }


def _erase(participant: Any) -> None:
    from mamapro.public.models import Application

    # That she applied, when and for what stays; what she typed about herself goes.
    Application.objects.filter(participant=participant).update(
        given_name="—",
        family_name="—",
        stated_circumstances=[],
        children_ages="",
        contact_channels=[],
        safe_hours_from=None,
        safe_hours_to=None,
    )
