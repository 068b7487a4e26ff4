from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "mamapro.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from mamapro.notify import receivers  # noqa: F401
        from mamapro.notify import panels  # noqa: F401  (her deliveries on her page)
        from mamapro.notify import views_telegram  # noqa: F401  (her Telegram on her page)
        from mamapro.notify import erasure

        erasure.register()  # her erasure blanks her messages and forgets her chat
