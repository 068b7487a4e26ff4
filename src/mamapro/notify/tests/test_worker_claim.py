"""Two workers at once never send the same message twice: the claim is one conditional
UPDATE (rows still due → `sending` with the claimer's token), on PostgreSQL over ids picked
with SKIP LOCKED, on SQLite inside an IMMEDIATE transaction."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from mamapro.conftest import race
from mamapro.notify import outbox, sender
from mamapro.notify.models import Delivery
from mamapro.notify.tests import outbox_world

sms = outbox_world.sms
woman = outbox_world.woman


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_message_once(woman: Any, sms: Any) -> None:
    women = [woman() for _ in range(30)]
    outbox.queue_many(women, "confirmed", key="race")
    sent: list[int] = []

    def work(_: int) -> None:
        sent.append(sender.send_due(limit=5))

    refused, errors = race(work, [1, 2, 3])
    assert (refused, errors) == (0, [])
    assert sum(sent) == 30
    assert Counter(Delivery.objects.values_list("status", flat=True)) == {"sent": 30}
    assert sms.duplicates() == 0
    assert len(sms.messages) == 30
    assert set(Counter(m.to for m in sms.messages).values()) == {1}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_without_the_conditional_claim_the_same_race_sends_twice(
    woman: Any, sms: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above can fail: a claim that reads the due ids, then marks them without
    asking whether they are still due, lets two workers take the same rows."""
    import contextlib
    import threading

    women = [woman() for _ in range(30)]
    outbox.queue_many(women, "confirmed", key="race")
    both_read = threading.Barrier(3, timeout=20)

    def naive_claim(limit: int, now: Any, channels: Any) -> list[Delivery]:
        due = Delivery.objects.filter(status__in=sender.DUE, send_after__lte=now)
        ids = list(due.order_by("id").values_list("id", flat=True)[:limit])
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()
        Delivery.objects.filter(id__in=ids).update(status="sending", claim="naive")
        return list(Delivery.objects.filter(id__in=ids).select_related("participant__centre"))

    monkeypatch.setattr(sender, "claim", naive_claim)
    race(lambda _: sender.send_due(limit=10), [1, 2, 3])
    assert sms.duplicates() > 0
