"""Programmes' seat changes, as the kids' room sees them (connected in apps.ready)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from mamapro.kidsroom import services
from mamapro.programs.models import Enrollment
from mamapro.programs.signals import seat_confirmed, seat_ended


@receiver(seat_confirmed, dispatch_uid="kidsroom.book_children")
def _book_children(sender: Any, enrollment: Enrollment, now: dt.datetime, **kwargs: Any) -> None:
    services.book_for_enrollment(enrollment, now=now)


@receiver(seat_ended, dispatch_uid="kidsroom.free_places")
def _free_places(sender: Any, enrollment: Enrollment, now: dt.datetime, **kwargs: Any) -> None:
    services.cancel_for_enrollment(enrollment, now=now)
