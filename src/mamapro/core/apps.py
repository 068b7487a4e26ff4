from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "mamapro.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from mamapro.core import dbguard, signals  # noqa: F401 (connects the receivers)

        dbguard.install()
