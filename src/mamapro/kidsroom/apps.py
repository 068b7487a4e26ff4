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
