"""What the SMS adapter and webhook tests share: one local Mobizon server per test module
(starting and stopping one per test costs half a second each), emptied before each test,
with the production adapter's settings pointing at it; a delivery recorded as sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from mamapro.notify.fakes.mobizon import FakeMobizon
from mamapro.notify.models import Delivery
from mamapro.people.models import Participant


@pytest.fixture(scope="module")
def mobizon_server() -> Iterator[FakeMobizon]:
    with FakeMobizon() as running:
        yield running


@pytest.fixture
def fake(mobizon_server: FakeMobizon) -> Iterator[FakeMobizon]:
    mobizon_server.reset()
    with override_settings(**mobizon_server.settings()):
        yield mobizon_server


def sent_row(woman: Participant, provider_message_id: str, *, channel: str = "sms") -> Delivery:
    """A reminder recorded as the worker records one its provider took (status sent)."""
    return Delivery.objects.create(
        centre=woman.centre,
        participant=woman,
        kind="reminder",
        channel=channel,
        language="kk",
        status=Delivery.Status.SENT,
        status_rank=1,
        idempotency_key=f"reminder:{channel}:{provider_message_id}",
        provider_message_id=provider_message_id,
    )
