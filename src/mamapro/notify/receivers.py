"""Events from the apps below that must reach someone (connected in apps.ready)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from mamapro.kidsroom.models import Alert
from mamapro.kidsroom.signals import restricted_adult_named
from mamapro.notify import services


@receiver(restricted_adult_named, dispatch_uid="notify.restricted_adult")
def _restricted_adult(sender: Any, alert: Alert, **kwargs: Any) -> None:
    services.restricted_adult_alert(alert)
