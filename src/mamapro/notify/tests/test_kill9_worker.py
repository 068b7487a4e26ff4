"""kill -9 of a real `worker` process in the middle of a batch, then a restart: every SMS is
sent exactly once, by the fake Mobizon's own record (none lost, none duplicated).

The worker runs as a subprocess on the database this test runs on (the SQLite test file or
the PostgreSQL test database), with the production SMS adapter pointed at the fake server
in this process. On the restart it is told it is the only worker (`--only-worker`), so what
the killed one left `sending` is in doubt at once: each such SMS is looked up in Mobizon's
message list (`find_sent`) — found → recorded as sent, not found → queued again.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mamapro.notify import outbox
from mamapro.notify.fakes.mobizon import FakeMobizon
from mamapro.notify.models import Delivery
from mamapro.notify.tests import outbox_world
from mamapro.notify.tests.outbox_world import worker_env

WOMEN = 40
woman = outbox_world.woman


def _worker(env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "django", "worker", "--interval", "0.2", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_neither_loses_nor_duplicates(woman: Any, tmp_path: Path) -> None:
    women = [woman() for _ in range(WOMEN)]
    outbox.queue_many(women, "confirmed", key="kill9")
    with FakeMobizon() as fake:
        fake.slow(0.03)
        env = worker_env(fake, tmp_path)
        first = _worker(env)
        try:
            _wait_for(lambda: len(fake.messages) >= 8, 90, "the first messages")
        finally:
            first.send_signal(signal.SIGKILL)
            _out, err = first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL, err
        seen_at_kill = len(fake.messages)
        assert seen_at_kill < WOMEN, "the worker finished before it was killed"
        assert Delivery.objects.filter(status="sending").exists()  # killed mid-batch

        second = _worker(env, "--only-worker", "--batch")
        out, err = second.communicate(timeout=180)
        assert second.returncode == 0, err

        statuses = Counter(Delivery.objects.values_list("status", flat=True))
        assert statuses == {"sent": WOMEN}, (statuses, out, err)
        phones = Counter(m.to for m in fake.messages)
        assert fake.duplicates() == 0
        assert set(phones.values()) == {1}
        assert set(phones) == {w.phone.lstrip("+") for w in women}
        ids = set(Delivery.objects.values_list("provider_message_id", flat=True))
        assert ids == {str(m.id) for m in fake.messages}
        # The restart settled what the killed one had in hand (the rest of its batch).
        settled = re.search(r"(\d+) found sent, (\d+) queued again, (\d+) to check", out)
        assert settled is not None, out
        found, requeued, by_hand = map(int, settled.groups())
        assert requeued > 0
        assert by_hand == 0
        assert seen_at_kill + requeued - found <= WOMEN
        print(f"kill -9 after {seen_at_kill} sent: {found} found sent, {requeued} queued again")
