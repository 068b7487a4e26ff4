from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The public site: catalogue, applications, workshop topics. No login, no trackers."""

    name = "mamapro.public"
    label = "public"
    verbose_name = _("Public site")
