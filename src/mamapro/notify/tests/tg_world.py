"""What the WhatsApp, Telegram and inbound tests share: the local providers, with the
production adapters pointed at them (no rate limit), and a woman who may be written to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mamapro.notify.fakes.server import LocalServer
from mamapro.notify.fakes.telegram import FakeTelegram
from mamapro.notify.fakes.whatsapp import FakeWhatsApp
from mamapro.people import services
from mamapro.people.models import Participant


def point_at(fake: FakeTelegram | FakeWhatsApp, settings: Any) -> None:
    for name, value in fake.settings().items():
        setattr(settings, name, value)
    settings.TELEGRAM_RATE_PER_SECOND = 0
    settings.WHATSAPP_RATE_PER_SECOND = 0


def _running(fake: LocalServer, settings: Any) -> Iterator[Any]:
    with fake:
        point_at(fake, settings)  # type: ignore[arg-type]
        yield fake


@pytest.fixture
def tg(settings: Any) -> Iterator[FakeTelegram]:
    yield from _running(FakeTelegram(), settings)


@pytest.fixture
def wa(settings: Any) -> Iterator[FakeWhatsApp]:
    yield from _running(FakeWhatsApp(templates={"reminder_v1": 2, "offer_v1": 1}), settings)


@pytest.fixture
def any_template_wa(settings: Any) -> Iterator[FakeWhatsApp]:
    """A Cloud API that approves every template name (the defaults' names vary by kind)."""
    yield from _running(FakeWhatsApp(), settings)


def consenting(participant: Participant) -> Participant:
    services.record_consent(participant, kind="data_processing", version="2026-1")
    return participant
