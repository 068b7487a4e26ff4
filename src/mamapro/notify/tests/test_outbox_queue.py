"""Queuing (the first gate pass): the row is written in the caller's transaction with its
wake-up task, once per key; the channel, the status and the reason follow her wishes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from mamapro.notify import outbox
from mamapro.notify.models import Delivery, TelegramLink
from mamapro.notify.tests import outbox_world
from mamapro.notify.tests.outbox_world import NOON, send_tasks
from mamapro.people import safe_contact

pytestmark = pytest.mark.django_db
sms = outbox_world.sms
woman = outbox_world.woman


class Boom(Exception):
    pass


def test_a_rolled_back_transaction_leaves_neither_delivery_nor_task(woman: Any, sms: Any) -> None:
    her = woman()
    seen = []

    def enroll_and_fail() -> None:
        with transaction.atomic():
            outbox.queue(her, "confirmed", key="confirmed:1")
            seen.append((Delivery.objects.count(), send_tasks()))
            raise Boom

    with pytest.raises(Boom):
        enroll_and_fail()
    assert seen == [(1, 1)]
    assert Delivery.objects.count() == 0
    assert send_tasks() == 0


def test_the_same_key_twice_is_one_row_and_one_task(woman: Any, sms: Any) -> None:
    her = woman()
    first = outbox.queue(her, "confirmed", key="confirmed:7", now=NOON)
    again = outbox.queue(her, "confirmed", key="confirmed:7", now=NOON)
    assert first is not None
    assert again is not None
    assert first.pk == again.pk
    assert Delivery.objects.count() == 1
    assert send_tasks() == 1
    assert first.task_id


def test_one_task_per_transaction(woman: Any, sms: Any) -> None:
    women = [woman() for _ in range(3)]
    with transaction.atomic():
        for i, her in enumerate(women):
            outbox.queue(her, "confirmed", key=f"confirmed:{i}", now=NOON)
    assert send_tasks() == 1
    assert len(set(Delivery.objects.values_list("task_id", flat=True))) == 1


def test_a_new_task_when_the_first_was_rolled_back_with_its_savepoint(woman: Any, sms: Any) -> None:
    her, other = woman(), woman()
    with transaction.atomic():
        try:
            with transaction.atomic():
                outbox.queue(her, "confirmed", key="a", now=NOON)
                raise Boom
        except Boom:
            pass
        outbox.queue(other, "confirmed", key="b", now=NOON)
    assert send_tasks() == 1
    assert Delivery.objects.get().task_id


def test_queued_now_on_her_first_safe_message_channel(woman: Any, sms: Any) -> None:
    her = woman(channels=("call", "telegram", "sms", "email"), email="a@example.org")
    row = outbox.queue(her, "confirmed", key="k", now=NOON)
    assert row is not None
    # "call" is no message channel; Telegram needs a confirmed chat; SMS is next.
    assert (row.channel, row.status, row.reason) == ("sms", "queued", "")
    assert row.language == "kk"
    assert row.send_after == NOON


def test_telegram_with_a_confirmed_link_is_chosen(woman: Any, sms: Any) -> None:
    her = woman(channels=("telegram", "sms"))
    TelegramLink.objects.create(
        centre=her.centre,
        participant=her,
        token_hash="x" * 64,
        expires_at=NOON,
        chat_id="123456",
        confirmed_at=NOON,
    )
    row = outbox.queue(her, "confirmed", key="k", now=NOON)
    assert row is not None
    assert row.channel == "telegram"
    # Its provider is not configured in this test: it waits for it, visibly.
    assert row.reason == outbox.PROVIDER_NOT_CONFIGURED
    assert row.status == "queued"


def test_without_any_message_channel_a_cancelled_row_says_why(woman: Any, sms: Any) -> None:
    her = woman(channels=("call",))
    row = outbox.queue(her, "confirmed", key="k", now=NOON)
    assert row is not None
    assert (row.status, row.reason) == ("cancelled", outbox.NO_CHANNEL)
    assert outbox.explain(row) == "She has no channel marked safe for messages."
    assert send_tasks() == 0


@pytest.mark.parametrize(
    ("wishes", "reason"),
    [
        ({"no_contact": True}, safe_contact.NO_CONTACT),
        ({"consent": False}, safe_contact.NO_CONSENT),
    ],
)
def test_a_refusal_of_the_gate_is_a_cancelled_row_with_its_code(
    woman: Any, sms: Any, wishes: dict[str, Any], reason: str
) -> None:
    her = woman(**wishes)
    row = outbox.queue(her, "confirmed", key="k", now=NOON)
    assert row is not None
    assert (row.status, row.reason) == ("cancelled", reason)
    assert outbox.explain(row) == str(safe_contact.REASONS[reason])
    assert send_tasks() == 0


def test_a_channel_she_did_not_mark_is_refused_when_asked_for(woman: Any, sms: Any) -> None:
    her = woman(channels=("sms",), email="a@example.org")
    row = outbox.queue(her, "confirmed", key="k", channel="email", now=NOON)
    assert row is not None
    assert (row.status, row.reason) == ("cancelled", safe_contact.CHANNEL_NOT_SAFE)


def test_outside_her_safe_hours_it_waits_for_the_window_in_her_centres_zone(
    woman: Any, sms: Any
) -> None:
    her = woman(safe_hours_from=dt.time(14, 0), safe_hours_to=dt.time(18, 0))
    row = outbox.queue(her, "confirmed", key="k", now=NOON)  # 12:00 in Almaty
    assert row is not None
    assert (row.status, row.reason) == ("waiting", safe_contact.OUTSIDE_SAFE_HOURS)
    assert row.send_after == dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)  # 14:00 there
    assert send_tasks() == 1


def test_without_sms_credentials_it_is_queued_with_the_reason(woman: Any, settings: Any) -> None:
    settings.SMS_API_KEY = ""
    her = woman()
    row = outbox.queue(her, "confirmed", key="k", now=NOON)
    assert row is not None
    assert (row.status, row.reason) == ("queued", outbox.PROVIDER_NOT_CONFIGURED)
    assert "not configured" in outbox.explain(row)
    assert send_tasks() == 0  # nothing to wake the worker for


def test_queue_many_writes_one_task_and_takes_constant_queries(
    woman: Any, sms: Any, django_assert_max_num_queries: Any
) -> None:
    few = [woman() for _ in range(3)]
    many = [woman() for _ in range(30)] + [woman(consent=False), woman(channels=())]
    with django_assert_max_num_queries(14):
        rows = outbox.queue_many(few, "roster_message", key="r:1", body="Ертең 10:00", now=NOON)
    assert len(rows) == 3
    with django_assert_max_num_queries(14):
        rows = outbox.queue_many(many, "roster_message", key="r:2", body="Ертең 10:00", now=NOON)
    assert [r.participant_id for r in rows] == [p.pk for p in many]
    assert [r.status for r in rows].count("queued") == 30
    assert rows[-2].reason == safe_contact.NO_CONSENT
    assert rows[-1].reason == outbox.NO_CHANNEL
    # One per transaction (the test's), not one per woman nor one per call.
    assert send_tasks() == 1
    assert rows[0].idempotency_key == f"r:2:{many[0].pk}"
    assert rows[0].body == "Ертең 10:00"


def test_queue_many_twice_with_the_same_key_adds_nothing(woman: Any, sms: Any) -> None:
    women = [woman() for _ in range(4)]
    first = outbox.queue_many(women, "roster_message", key="r", now=NOON)
    again = outbox.queue_many(women, "roster_message", key="r", now=NOON)
    assert [r.pk for r in first] == [r.pk for r in again]
    assert Delivery.objects.count() == 4
