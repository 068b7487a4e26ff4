"""The worker against the fake Mobizon, through the production SMS adapter: sent once,
retried with backoff on a transient error, never retried on a permanent one, rate-limited,
constant queries per batch, statuses that never go backwards, retry and explain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mamapro.core.models import AuditEntry
from mamapro.notify import outbox, recovery, sender
from mamapro.notify.channels.base import StatusUpdate
from mamapro.notify.models import Delivery
from mamapro.notify.tests import outbox_world
from mamapro.notify.tests.outbox_world import NOON, fresh
from mamapro.people import safe_contact
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db
sms = outbox_world.sms
woman = outbox_world.woman


def test_a_queued_sms_is_sent_once_in_her_language(woman: Any, sms: Any) -> None:
    her = woman(language="kk")
    row = outbox.queue(her, "confirmed", key="c:1", now=NOON)
    assert row is not None
    assert sender.send_due(now=NOON) == 1
    assert sender.send_due(now=NOON + dt.timedelta(hours=1)) == 0
    got = fresh(row)
    assert got.status == "sent"
    assert got.attempts == 1
    assert got.sent_at == NOON
    assert got.status_rank == 1
    [message] = sms.messages
    assert got.provider_message_id == str(message.id)
    assert message.to == her.phone.lstrip("+")
    assert got.text == message.text
    assert not message.flash
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM notify_delivery WHERE id = %s", [row.pk])
        stored = cursor.fetchone()[0]
    assert stored
    assert message.text not in stored  # encrypted at rest, whatever path wrote it


def test_flash_sms_when_she_asked_for_it(woman: Any, sms: Any) -> None:
    her = woman(flash_sms=True)
    outbox.queue(her, "confirmed", key="c:1", now=NOON)
    sender.send_due(now=NOON)
    assert [m.flash for m in sms.messages] == [True]


def test_backoff_schedule_and_its_jitter_bounds() -> None:
    expected = [60, 300, 1800, 7200, 43200]
    for attempt, base in enumerate(expected, start=1):
        low = sender.backoff(attempt, rng=lambda: 0.0).total_seconds()
        high = sender.backoff(attempt, rng=lambda: 1.0).total_seconds()
        mid = sender.backoff(attempt, rng=lambda: 0.5).total_seconds()
        assert low == pytest.approx(base * 0.8)
        assert high == pytest.approx(base * 1.2)
        assert mid == pytest.approx(base)
    # Real jitter stays inside the bounds and is not always the same.
    waits = {sender.backoff(2).total_seconds() for _ in range(50)}
    assert all(240 <= w <= 360 for w in waits)
    assert len(waits) > 1


def test_transient_errors_retry_with_backoff_then_fail_after_the_sixth(
    woman: Any, sms: Any
) -> None:
    her = woman()
    row = outbox.queue(her, "confirmed", key="c:1", now=NOON)
    assert row is not None
    at = NOON
    bases = [60, 300, 1800, 7200, 43200]
    for attempt, base in enumerate(bases, start=1):
        sms.fail_next(1)
        assert sender.send_due(now=at) == 0
        got = fresh(row)
        assert (got.status, got.reason, got.attempts) == ("queued", outbox.RETRYING, attempt)
        wait = (got.send_after - at).total_seconds()
        assert base * 0.8 <= wait <= base * 1.2
        # Not before its time.
        assert sender.send_due(now=got.send_after - dt.timedelta(seconds=1)) == 0
        at = got.send_after
    sms.fail_next(1)
    sender.send_due(now=at)
    got = fresh(row)
    assert (got.status, got.reason, got.attempts) == ("failed", outbox.TOO_MANY_ATTEMPTS, 6)
    assert "HTTP 503" in got.error
    assert sms.messages == []


def test_a_transient_error_then_success_sends_exactly_once(woman: Any, sms: Any) -> None:
    her = woman()
    row = outbox.queue(her, "confirmed", key="c:1", now=NOON)
    assert row is not None
    sms.fail_next(1)
    sender.send_due(now=NOON)
    later = fresh(row).send_after
    assert sender.send_due(now=later) == 1
    assert fresh(row).status == "sent"
    assert len(sms.messages) == 1
    assert sms.duplicates() == 0


def test_a_permanent_error_is_never_retried(woman: Any, sms: Any) -> None:
    her = woman()
    sms.reject_recipient(her.phone.lstrip("+"))
    row = outbox.queue(her, "confirmed", key="c:1", now=NOON)
    assert row is not None
    sender.send_due(now=NOON)
    got = fresh(row)
    assert (got.status, got.reason) == ("failed", outbox.PERMANENT_ERROR)
    assert her.phone not in got.error
    assert her.phone.lstrip("+") not in got.error
    requests = len(sms.sends)
    assert sender.send_due(now=NOON + dt.timedelta(days=2)) == 0
    assert len(sms.sends) == requests == 1


def test_a_malformed_phone_never_reaches_the_provider(woman: Any, sms: Any) -> None:
    her = woman()
    row = outbox.queue(her, "confirmed", key="c:1", now=NOON)
    assert row is not None
    Participant.objects.filter(pk=her.pk).update(phone="+7012")
    sender.send_due(now=NOON)
    got = fresh(row)
    assert (got.status, got.reason) == ("failed", outbox.BAD_ADDRESS)
    assert sms.requests == []


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def test_the_token_bucket_keeps_under_the_rate_by_an_injected_clock() -> None:
    clock = FakeClock()
    bucket = sender.TokenBucket(5, clock=clock, sleep=clock.sleep)
    for _ in range(25):
        bucket.take()
    # A burst of 5, then 20 more at 5 a second: 4 seconds, not less.
    assert clock.now == pytest.approx(4.0)
    clock.now += 10  # idle time refills up to the burst only
    start = clock.now
    for _ in range(10):
        bucket.take()
    assert clock.now - start == pytest.approx(1.0)


def test_the_worker_sends_at_the_providers_rate(woman: Any, sms: Any, settings: Any) -> None:
    settings.SMS_RATE_PER_SECOND = 4
    women = [woman() for _ in range(12)]
    outbox.queue_many(women, "confirmed", key="c", now=NOON)
    clock = FakeClock()
    channels = sender.Channels.load(clock=clock)
    channels.buckets["sms"].sleep = clock.sleep
    assert sender.send_due(now=NOON, channels=channels) == 12
    assert clock.now == pytest.approx((12 - 4) / 4)


def test_a_batch_costs_constant_queries_and_one_update_per_row(woman: Any, sms: Any) -> None:
    def queries_for(n: int, key: str) -> int:
        women = [woman() for _ in range(n)]
        outbox.queue_many(women, "confirmed", key=key, now=NOON)
        channels = sender.Channels.load()
        with CaptureQueriesContext(connection) as seen:
            assert sender.send_due(now=NOON, channels=channels) == n
        return len(seen.captured_queries)

    five = queries_for(5, "a")
    twenty = queries_for(20, "b")
    # Per row exactly one statement (recording the provider's answer); the rest per batch.
    assert twenty - five == 15


def test_statuses_never_go_backwards_and_unknown_ids_are_ignored(
    woman: Any, sms: Any, django_assert_max_num_queries: Any
) -> None:
    women = [woman() for _ in range(3)]
    outbox.queue_many(women, "confirmed", key="c", now=NOON)
    sender.send_due(now=NOON)
    a, b, c = Delivery.objects.order_by("id")
    updates = [
        StatusUpdate(a.provider_message_id, "delivered"),
        StatusUpdate(a.provider_message_id, "sent"),  # late, out of order
        StatusUpdate(b.provider_message_id, "failed", error="UNDELIV", permanent=True),
        StatusUpdate("999999999", "delivered"),  # not ours
        StatusUpdate(c.provider_message_id, "sent"),  # what it already is
    ]
    with django_assert_max_num_queries(4):
        assert outbox.apply_updates("sms", updates) == 2
    assert fresh(a).status == "delivered"
    assert fresh(a).delivered_at is not None
    assert (fresh(b).status, fresh(b).reason) == ("failed", outbox.UNDELIVERED)
    assert fresh(c).status == "sent"
    # A failure after delivery is ignored; another channel's id is not ours.
    assert outbox.apply_updates("sms", [StatusUpdate(a.provider_message_id, "failed")]) == 0
    assert outbox.apply_updates("telegram", [StatusUpdate(c.provider_message_id, "delivered")]) == 0
    assert fresh(a).status == "delivered"


def test_polling_asks_mobizon_for_what_it_has_not_reported(woman: Any, sms: Any) -> None:
    her = woman()
    row = outbox.queue(her, "confirmed", key="c:1")
    assert row is not None
    sender.send_due()
    sms.set_status(fresh(row).provider_message_id, "DELIVRD")
    assert recovery.poll_statuses() == 1
    assert fresh(row).status == "delivered"


def test_retry_of_a_failed_delivery_goes_through_the_gate_and_is_audited(
    woman: Any, sms: Any, personas: Any
) -> None:
    her = woman()
    sms.reject_recipient(her.phone.lstrip("+"))
    row = outbox.queue(her, "confirmed", key="c:1", now=NOON)
    assert row is not None
    sender.send_due(now=NOON)
    assert fresh(row).status == "failed"
    sms.reset()
    retried = outbox.retry(fresh(row), actor=personas["coordinator"])
    assert (retried.status, retried.reason, retried.attempts) == ("queued", "", 0)
    entry = AuditEntry.objects.filter(object_id=str(row.pk), details__event="retry").get()
    assert entry.actor == personas["coordinator"]
    assert sender.send_due() == 1
    assert len(sms.messages) == 1
    with pytest.raises(outbox.NotRetryable):
        outbox.retry(fresh(row))


def test_retry_when_she_withdrew_consent_meanwhile_is_cancelled(woman: Any, sms: Any) -> None:
    her = woman()
    sms.reject_recipient(her.phone.lstrip("+"))
    row = outbox.queue(her, "confirmed", key="c:1", now=NOON)
    assert row is not None
    sender.send_due(now=NOON)
    her.consents.update(revoked_at=NOON)
    retried = outbox.retry(fresh(row))
    assert (retried.status, retried.reason) == ("cancelled", safe_contact.NO_CONSENT)


def test_every_reason_has_a_sentence() -> None:
    codes = list(outbox.REASONS) + list(safe_contact.REASONS)
    for code in codes:
        sentence = outbox.explain(Delivery(reason=code))
        assert sentence
        assert sentence != code
    assert outbox.explain(Delivery(reason="")) == ""
    with_error = Delivery(reason=outbox.PERMANENT_ERROR, error="Mobizon code 1: recipient")
    assert outbox.explain(with_error).endswith("Provider: Mobizon code 1: recipient")
