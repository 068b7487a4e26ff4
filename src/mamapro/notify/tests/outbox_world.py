"""What the outbox, worker, gate and kill -9 tests share: women made through the services,
the fake Mobizon server with the production adapter pointed at it, and counts of task rows.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
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


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def worker_env(fake: FakeMobizon, var: Path) -> dict[str, str]:
    """The environment of a `mamapro` subprocess on this test's database, with the SMS
    adapter pointed at `fake`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMS_", "TELEGRAM_"))}
    env.update(
        fake.settings(),
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="mamapro.settings",
        MAMAPRO_TESTING="1",
        MAMAPRO_VAR_DIR=str(var),
        SECRET_KEY=django_settings.SECRET_KEY,
        DATA_KEYS=",".join(django_settings.DATA_KEYS),
        AUDIT_KEY=django_settings.AUDIT_KEY,
    )
    return env


def fresh(delivery: Delivery) -> Delivery:
    return Delivery.objects.get(pk=delivery.pk)
