"""The demo's background: a real worker process and the minute tick (here every half
second) as children of one process; a message queued meanwhile goes out; stopping ends both
cleanly (the worker exits 0, as on Ctrl-C)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from mamapro.notify import outbox
from mamapro.notify.background import Background
from mamapro.notify.fakes.mobizon import FakeMobizon
from mamapro.notify.models import Delivery
from mamapro.notify.tests import outbox_world
from mamapro.notify.tests.outbox_world import worker_env

woman = outbox_world.woman


@pytest.mark.django_db(transaction=True)
def test_the_worker_and_the_tick_run_and_stop_together(woman: Any, tmp_path: Path) -> None:
    her = woman()
    with FakeMobizon() as fake:
        background = Background(tick_every=0.5, env=worker_env(fake, tmp_path))
        background.start()
        try:
            row = outbox.queue(her, "confirmed", key="bg")
            assert row is not None
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and (
                Delivery.objects.get(pk=row.pk).status != "sent" or background.ticks < 2
            ):
                time.sleep(0.1)
        finally:
            background.stop()
        assert Delivery.objects.get(pk=row.pk).status == "sent"
        assert len(fake.messages) == 1
        assert background.ticks >= 2
        assert background.tick_failures == 0
        assert background.worker is not None
        assert background.worker.returncode == 0  # stopped, not killed
