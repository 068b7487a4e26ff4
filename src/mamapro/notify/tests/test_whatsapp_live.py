"""End to end over real HTTP: the outbox and its worker send through the production adapters
to the local providers, and the providers' signed webhooks reach the running site
(`live_server`) — WhatsApp's statuses out of order, Telegram's linking and her STOP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.request import urlopen

import pytest

from mamapro.notify import outbox, sender, telegram_links
from mamapro.notify.fakes.telegram import FakeTelegram
from mamapro.notify.fakes.whatsapp import FakeWhatsApp
from mamapro.notify.models import Delivery, MessageKind, TelegramLink
from mamapro.notify.tests import outbox_world, tg_world
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db(transaction=True)

woman = outbox_world.woman
# A Wednesday at 12:00 in Almaty: inside the usual safe hours.
NOON = outbox_world.NOON
CHAT = "501234567"


tg = tg_world.tg
wa = tg_world.any_template_wa


def _send(her: Participant, key: str) -> Delivery:
    row = outbox.queue(
        her, MessageKind.ROSTER_MESSAGE, key=key, body="Сабақ ертең 10:00-де.", now=NOON
    )
    assert row is not None
    sender.send_due(now=NOON + dt.timedelta(seconds=1))
    return Delivery.objects.get(pk=row.pk)


def test_whatsapp_statuses_out_of_order_keep_the_highest(
    wa: FakeWhatsApp, live_server: Any, woman: Callable[..., Participant]
) -> None:
    her = woman(channels=("whatsapp",), language="kk")
    row = _send(her, "wa-live-1")
    assert row.status == "sent"
    [message] = wa.messages
    assert message.to == her.phone.removeprefix("+")
    assert message.language == "kk"
    assert message.template.startswith("roster_message_")
    assert row.provider_message_id == message.id

    hook = f"{live_server.url}/hooks/whatsapp"
    for status in ("read", "sent", "delivered"):
        code, _body = wa.post_webhook(
            hook, wa.notification(statuses=[wa.status(message.id, status)])
        )
        assert code == 200
    row.refresh_from_db()
    assert row.status == "delivered"
    # A late "failed" after it was read does not undo it.
    wa.post_webhook(hook, wa.notification(statuses=[wa.status(message.id, "failed", code=131026)]))
    row.refresh_from_db()
    assert row.status == "delivered"
    # An id we never sent: 200, ignored (Meta would retry for days otherwise).
    code, _body = wa.post_webhook(hook, wa.notification(statuses=[wa.status("wamid.X", "read")]))
    assert code == 200
    # A forged one: 403, nothing changes.
    code, _body = wa.post_webhook(
        hook, wa.notification(statuses=[wa.status(message.id, "failed")]), secret="guess"
    )
    assert code == 403


def test_whatsapp_subscription_check_over_http(wa: FakeWhatsApp, live_server: Any) -> None:
    from urllib.parse import urlencode

    query = urlencode(wa.verification(challenge="31337"))
    with urlopen(f"{live_server.url}/hooks/whatsapp?{query}", timeout=10) as answer:  # noqa: S310 (a local test server)
        assert answer.read() == b"31337"


def test_whatsapp_undeliverable_fails_for_good(
    wa: FakeWhatsApp, woman: Callable[..., Participant]
) -> None:
    her = woman(channels=("whatsapp",))
    wa.error_next(131026)
    row = _send(her, "wa-live-2")
    assert row.status == "failed"
    assert "131026" in row.error
    sender.send_due(now=NOON + dt.timedelta(days=1))
    assert wa.messages == []


def test_telegram_linked_by_her_then_messages_then_stop(
    tg: FakeTelegram, live_server: Any, woman: Callable[..., Participant]
) -> None:
    her = woman(channels=("sms",), language="ru")
    hook = f"{live_server.url}/hooks/telegram"
    token = telegram_links.create_link(her, None).url.rsplit("=", 1)[1]

    code, _body = tg.post_update(hook, tg.message_update(CHAT, f"/start {token}"))
    assert code == 200
    [question] = tg.to(CHAT)
    link = TelegramLink.objects.get()
    code, body = tg.post_update(hook, tg.callback_update(CHAT, f"link:yes:{link.pk}"))
    assert code == 200
    assert b"answerCallbackQuery" in body
    assert Participant.objects.get(pk=her.pk).contact_channels == ["sms", "telegram"]

    her = Participant.objects.select_related("centre").get(pk=her.pk)
    row = outbox.queue(
        her,
        MessageKind.ROSTER_MESSAGE,
        key="tg-live-1",
        body="Занятие завтра в 10:00.",
        channel="telegram",
        now=NOON,
    )
    assert row is not None
    sender.send_due(now=NOON + dt.timedelta(seconds=1))
    row.refresh_from_db()
    assert row.status == "sent", (row.status, row.reason, row.error)
    sent = tg.to(CHAT)[-1]
    assert sent.protect_content
    assert "10:00" in sent.text

    count = len(tg.messages)
    code, _body = tg.post_update(hook, tg.message_update(CHAT, "Стоп"))
    assert code == 200
    assert Participant.objects.get(pk=her.pk).contact_channels == ["sms"]
    assert len(tg.messages) == count
    # A wrong secret: 403, and nothing reaches her handling.
    code, _body = tg.post_update(hook, tg.message_update(CHAT, "/start x"), secret="guess")
    assert code == 403
    assert question.buttons
