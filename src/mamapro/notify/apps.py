from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "mamapro.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from mamapro.notify import (
            erasure,
            panels,  # noqa: F401  (her deliveries on her page)
            receivers,  # noqa: F401
            views_telegram,  # noqa: F401  (her Telegram on her page)
        )

        erasure.register()  # her erasure blanks her messages and forgets her chat
