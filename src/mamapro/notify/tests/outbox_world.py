"""What the outbox, worker, gate and kill -9 tests share: women made through the services,
the fake Mobizon server with the production adapter pointed at it, and counts of task rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from mamapro.notify.fakes.mobizon import FakeMobizon
from mamapro.notify.models import Delivery
from mamapro.people import services
from mamapro.people.models import Participant

# A Wednesday at 12:00 in Almaty (UTC+5): inside the usual safe hours.
NOON = dt.datetime(2026, 12, 2, 7, 0, tzinfo=dt.UTC)


def send_tasks() -> int:
    return DBTaskResult.objects.filter(task_path="mamapro.notify.tasks.send_due_task").count()


@pytest.fixture
def sms(settings: Any) -> Iterator[FakeMobizon]:
    """The fake Mobizon, and the production SMS adapter pointed at it (no rate limit)."""
    with FakeMobizon() as fake:
        for name, value in fake.settings().items():
            setattr(settings, name, value)
        settings.SMS_RATE_PER_SECOND = 0
        yield fake


@pytest.fixture
def woman(make_participant: Callable[..., Participant]) -> Callable[..., Participant]:
    """A woman with SMS as her safe channel and data-processing consent, unless told."""

    def make(
        *,
        channels: tuple[str, ...] = ("sms",),
        consent: bool = True,
        circumstances: tuple[str, ...] = (),
        **data: Any,
    ) -> Participant:
        flash = bool(data.pop("flash_sms", False))
        p = make_participant(circumstances=circumstances, **data)
        Participant.objects.filter(pk=p.pk).update(contact_channels=list(channels), flash_sms=flash)
        if consent:
            services.record_consent(p, kind="data_processing", version="2026-1")
        return Participant.objects.select_related("centre").get(pk=p.pk)

    return make


def fresh(delivery: Delivery) -> Delivery:
    return Delivery.objects.get(pk=delivery.pk)
