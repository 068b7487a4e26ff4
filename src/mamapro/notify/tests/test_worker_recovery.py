"""After a crash: rows left `sending` are settled per provider — an SMS is looked up in
Mobizon's message list (found → sent, no duplicate; not found → queued again); a Telegram
message cannot be looked up and is `in_doubt`, never resent; a row never handed to a
provider is queued again. A timeout is in doubt too. A stopping worker releases its batch."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone

from mamapro.notify import outbox, recovery, sender
from mamapro.notify.channels.base import Outgoing
from mamapro.notify.channels.mobizon import MobizonSMS
from mamapro.notify.models import Delivery, TelegramLink
from mamapro.notify.tests import outbox_world
from mamapro.notify.tests.outbox_world import fresh

pytestmark = pytest.mark.django_db
sms = outbox_world.sms
woman = outbox_world.woman


def _claimed(row: Delivery, *, text: str, ago: dt.timedelta) -> Delivery:
    Delivery.objects.filter(pk=row.pk).update(
        status="sending",
        claim="dead-worker",
        claimed_at=timezone.now() - ago,
        text=text,
        attempts=1,
    )
    return fresh(row)


def test_an_sms_the_provider_took_is_recorded_sent_not_resent(woman: Any, sms: Any) -> None:
    her = woman()
    row = outbox.queue(her, "confirmed", key="k")
    assert row is not None
    claimed_at = timezone.now() - dt.timedelta(minutes=5)
    # The dead worker had handed it over: Mobizon has it.
    sent = MobizonSMS().send(
        Outgoing(row.pk, row.idempotency_key, her.phone, "Сәлем!", "kk", claimed_at=claimed_at)
    )
    _claimed(row, text="Сәлем!", ago=dt.timedelta(minutes=5))
    result = recovery.recover_in_doubt()
    assert (result.sent, result.requeued, result.in_doubt) == (1, 0, 0)
    got = fresh(row)
    assert (got.status, got.provider_message_id) == ("sent", sent.provider_message_id)
    assert sender.send_due() == 0
    assert len(sms.messages) == 1


def test_an_sms_the_provider_never_saw_is_queued_again_and_sent_once(woman: Any, sms: Any) -> None:
    her = woman()
    row = outbox.queue(her, "confirmed", key="k")
    assert row is not None
    _claimed(row, text="Сәлем!", ago=dt.timedelta(minutes=5))
    result = recovery.recover_in_doubt()
    assert (result.sent, result.requeued) == (0, 1)
    assert fresh(row).status == "queued"
    assert sender.send_due() == 1
    assert len(sms.messages) == 1


def test_a_claim_inside_its_lease_is_left_alone(woman: Any, sms: Any) -> None:
    her = woman()
    row = outbox.queue(her, "confirmed", key="k")
    assert row is not None
    _claimed(row, text="Сәлем!", ago=dt.timedelta(seconds=30))
    assert recovery.recover_in_doubt() == recovery.Recovered()
    assert fresh(row).status == "sending"
    # The only worker, at its start, need not wait for the lease.
    assert recovery.recover_in_doubt(lease=dt.timedelta(0)).requeued == 1


def test_a_row_never_handed_over_is_queued_again(woman: Any, sms: Any) -> None:
    her = woman()
    row = outbox.queue(her, "confirmed", key="k")
    assert row is not None
    _claimed(row, text="", ago=dt.timedelta(minutes=5))
    assert recovery.recover_in_doubt().requeued == 1
    assert sms.requests == []  # not even looked up


def test_a_telegram_message_in_doubt_is_never_resent(woman: Any, settings: Any) -> None:
    settings.TELEGRAM_BOT_TOKEN = "123:abc"
    settings.TELEGRAM_BOT_NAME = "mamapro_test_bot"
    settings.TELEGRAM_WEBHOOK_SECRET = "s" * 32
    settings.TELEGRAM_API_URL = "http://127.0.0.1:9"  # never called
    her = woman(channels=("telegram",))
    TelegramLink.objects.create(
        centre=her.centre,
        participant=her,
        token_hash="t" * 64,
        expires_at=timezone.now(),
        chat_id="4242",
        confirmed_at=timezone.now(),
    )
    row = outbox.queue(her, "confirmed", key="k")
    assert row is not None
    assert row.channel == "telegram"
    _claimed(row, text="Сәлем!", ago=dt.timedelta(minutes=5))
    assert recovery.recover_in_doubt().in_doubt == 1
    got = fresh(row)
    assert (got.status, got.reason) == ("failed", outbox.IN_DOUBT)
    assert "check with her before retrying" in outbox.explain(got)


def test_a_timeout_leaves_the_sms_in_doubt_then_the_lookup_settles_it(woman: Any, sms: Any) -> None:
    her = woman()
    row = outbox.queue(her, "confirmed", key="k")
    assert row is not None
    channels = sender.Channels.load()
    channels.adapters["sms"].http().timeout = 0.2  # type: ignore[attr-defined]
    sms.slow(0.6)  # Mobizon takes it, but answers too late
    assert sender.send_due(channels=channels) == 0
    assert fresh(row).status == "sending"
    sms.slow(0)
    time.sleep(0.6)  # the fake finishes taking it
    result = recovery.recover_in_doubt(lease=dt.timedelta(0))
    assert result.sent == 1
    assert fresh(row).status == "sent"
    assert len(sms.messages) == 1


def test_a_stopping_worker_puts_the_rest_of_its_batch_back(woman: Any, sms: Any) -> None:
    women = [woman() for _ in range(3)]
    outbox.queue_many(women, "confirmed", key="k")
    sender.STOP.set()
    try:
        rows = sender.claim(10, timezone.now(), {"sms"})
        assert sender.send_batch(rows, sender.Channels.load()) == 0
    finally:
        sender.STOP.clear()
    assert set(Delivery.objects.values_list("status", "attempts", "text")) == {("queued", 0, "")}
    assert sender.send_due() == 3
