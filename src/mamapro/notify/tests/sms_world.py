"""What the SMS adapter and webhook tests share: one local Mobizon server per test module
(starting and stopping one per test costs half a second each), emptied before each test,
with the production adapter's settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from mamapro.notify.fakes.mobizon import FakeMobizon


@pytest.fixture(scope="module")
def mobizon_server() -> Iterator[FakeMobizon]:
    with FakeMobizon() as running:
        yield running


@pytest.fixture
def fake(mobizon_server: FakeMobizon) -> Iterator[FakeMobizon]:
    mobizon_server.reset()
    with override_settings(**mobizon_server.settings()):
        yield mobizon_server
