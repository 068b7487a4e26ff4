from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data and `mamapro demo`: sits above every domain, so it may use all of them."""

    name = "mamapro.demo"
    label = "demo"
    verbose_name = _("Demo")
