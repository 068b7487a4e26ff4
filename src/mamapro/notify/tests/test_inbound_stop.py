"""Her replies: STOP/СТОП/ТОҚТАТ turns that channel off (her wish, audited), her waiting
messages on it are cancelled, nothing is sent back; other texts and strangers change nothing;
each provider message acts once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from mamapro.core import audit
from mamapro.core.models import AuditEntry
from mamapro.notify import inbound, telegram_links
from mamapro.notify.channels.base import Inbound
from mamapro.notify.fakes.telegram import FakeTelegram
from mamapro.notify.fakes.whatsapp import FakeWhatsApp
from mamapro.notify.models import Delivery, InboundMessage, TelegramLink
from mamapro.notify.tests import tg_world
from mamapro.people import services as people
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db

PHONE = "+77015551234"
CHAT = "501234567"

tg = tg_world.tg
wa = tg_world.any_template_wa


@pytest.fixture
def her(make_participant: Callable[..., Participant]) -> Participant:
    woman = make_participant(phone=PHONE, contact_channels=["sms", "whatsapp", "email"])
    people.record_consent(woman, kind="data_processing", version="2026-1")
    return woman


def _delivery(her: Participant, channel: str, status: str, key: str) -> Delivery:
    return Delivery.objects.create(
        centre_id=her.centre_id,
        participant=her,
        kind="reminder",
        channel=channel,
        language=her.language,
        status=status,
        idempotency_key=key,
    )


def _channels(p: Participant) -> list[str]:
    return Participant.objects.get(pk=p.pk).contact_channels


def _stops() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(details__event="stopped_by_reply").order_by("seq"))


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop. ",
        "СТОП",
        "стоп!",
        "ТОҚТАТ",
        "тоқтат",
        "токтат",
        "/stop",
        "«Стоп»",
        "STOP STOP",
        "ＳＴＯＰ",
        # In her own words (an attack on the demo: these were ignored and the messages went on).
        "Стоп, не пишите мне больше",
        "stop please",
        "Тоқтатыңыз",
    ],
)
def test_a_stop_word_turns_the_channel_off(her: Participant, text: str) -> None:
    acted = inbound.handle("sms", [Inbound(sender=PHONE, text=text, provider_message_id="m1")])
    assert acted == 1
    assert _channels(her) == ["whatsapp", "email"]
    [entry] = _stops()
    assert entry.actor is None
    assert entry.object_id == str(her.pk)
    assert entry.details == {"event": "stopped_by_reply", "channel": "sms"}
    assert entry.fields == ["contact_channels"]
    row = InboundMessage.objects.get()
    assert (row.action, row.participant_id, row.centre_id) == ("stop", her.pk, her.centre_id)


@pytest.mark.parametrize(
    "text", ["don't stop", "stopping", "СТОПКА", "", "Иә", "Да, приду", "Не стоп, приду"]
)
def test_other_texts_are_stored_and_ignored(her: Participant, text: str) -> None:
    acted = inbound.handle("sms", [Inbound(sender=PHONE, text=text, provider_message_id="m1")])
    assert acted == 0
    assert _channels(her) == ["sms", "whatsapp", "email"]
    assert _stops() == []
    row = InboundMessage.objects.get()
    assert (row.action, row.participant_id) == ("ignored", her.pk)
    assert row.text == text


def test_the_text_is_encrypted_at_rest(her: Participant) -> None:
    inbound.handle("sms", [Inbound(sender=PHONE, text="Приду с дочкой", provider_message_id="m1")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM notify_inboundmessage")
        [(raw,)] = cursor.fetchall()
    assert "Приду" not in raw


def test_her_waiting_messages_on_that_channel_are_cancelled(her: Participant) -> None:
    queued = _delivery(her, "sms", Delivery.Status.QUEUED, "a")
    waiting = _delivery(her, "sms", Delivery.Status.WAITING, "b")
    sent = _delivery(her, "sms", Delivery.Status.SENT, "c")
    other = _delivery(her, "whatsapp", Delivery.Status.QUEUED, "d")
    inbound.handle("sms", [Inbound(sender=PHONE, text="СТОП", provider_message_id="m1")])
    for row, status, reason in [
        (queued, "cancelled", "channel_not_safe"),
        (waiting, "cancelled", "channel_not_safe"),
        (sent, "sent", ""),
        (other, "queued", ""),
    ]:
        row.refresh_from_db()
        assert (row.status, row.reason) == (status, reason), row.idempotency_key


def test_registered_at_two_centres_both_records_stop(
    her: Participant, make_participant: Callable[..., Participant], astana: Any
) -> None:
    twin = make_participant(astana, phone=PHONE, contact_channels=["sms"])
    stranger = make_participant(contact_channels=["sms"])
    inbound.handle(
        "sms", [Inbound(sender="8 701 555 12 34", text="stop", provider_message_id="m1")]
    )
    assert _channels(her) == ["whatsapp", "email"]
    assert _channels(twin) == []
    assert _channels(stranger) == ["sms"]
    assert sorted(int(e.object_id) for e in _stops()) == sorted([her.pk, twin.pk])


def test_an_erased_record_is_left_alone(her: Participant) -> None:
    Participant.objects.filter(pk=her.pk).update(erased_at="2026-01-01T00:00:00Z")
    inbound.handle("sms", [Inbound(sender=PHONE, text="STOP", provider_message_id="m1")])
    assert _channels(her) == ["sms", "whatsapp", "email"]
    assert InboundMessage.objects.get().participant_id is None


@pytest.mark.parametrize("sender", ["+77770000000", "not a phone", "+12025550100"])
def test_an_unknown_sender_is_stored_without_anyone_and_ignored(
    her: Participant, sender: str
) -> None:
    assert (
        inbound.handle("sms", [Inbound(sender=sender, text="STOP", provider_message_id="m1")]) == 0
    )
    row = InboundMessage.objects.get()
    assert (row.participant_id, row.centre_id, row.action) == (None, None, "ignored")
    assert _channels(her) == ["sms", "whatsapp", "email"]
    assert _stops() == []


def test_the_same_provider_message_acts_once(her: Participant) -> None:
    message = Inbound(sender=PHONE, text="STOP", provider_message_id="m1")
    assert inbound.handle("sms", [message, message]) == 1
    assert inbound.handle("sms", [message]) == 0
    assert InboundMessage.objects.count() == 1
    assert len(_stops()) == 1


def test_the_same_id_on_another_channel_is_another_message(her: Participant) -> None:
    inbound.handle("sms", [Inbound(sender=PHONE, text="STOP", provider_message_id="m1")])
    inbound.handle("whatsapp", [Inbound(sender=PHONE, text="STOP", provider_message_id="m1")])
    assert _channels(her) == ["email"]


def test_every_stop_is_audited_even_from_one_provider_address(
    make_participant: Callable[..., Participant],
) -> None:
    # A webhook request has the provider's address; anonymous events from one address are
    # only counted past 20 a minute. A woman's wish must never be one of those.
    women = [make_participant(contact_channels=["sms"]) for _ in range(25)]
    messages = [
        Inbound(sender=w.phone, text="STOP", provider_message_id=f"m{i}")
        for i, w in enumerate(women)
    ]
    with audit.acting_as(None, ip="203.0.113.9", via="web"):
        assert inbound.handle("sms", messages) == 25
    assert len(_stops()) == 25
    assert all(e.via == "sms_reply" for e in _stops())


# --- through the webhooks, against the providers' local servers ------------------------------


def test_whatsapp_stop_through_the_webhook(
    her: Participant, wa: FakeWhatsApp, client: Client
) -> None:
    payload = wa.notification(messages=[wa.text_message(PHONE, "Стоп")])
    body, headers = wa.signed(payload)
    url = reverse("notify_hook_whatsapp")
    response = client.post(url, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    assert _channels(her) == ["sms", "email"]
    # Nothing is sent back: she asked for silence.
    assert wa.requests == []
    # Meta retries a webhook it thinks failed: the same message acts once.
    client.post(url, data=body, content_type="application/json", headers=headers)
    assert len(_stops()) == 1


def test_whatsapp_stop_with_a_wrong_signature_changes_nothing(
    her: Participant, wa: FakeWhatsApp, client: Client
) -> None:
    body, _headers = wa.signed(wa.notification(messages=[wa.text_message(PHONE, "STOP")]))
    response = client.post(
        reverse("notify_hook_whatsapp"),
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": wa.sign(body, secret="guessed")},
    )
    assert response.status_code == 403
    assert _channels(her) == ["sms", "whatsapp", "email"]
    assert not InboundMessage.objects.exists()


def _linked(
    her: Participant, tg: FakeTelegram, chat: str, capture: Any, client: Client
) -> TelegramLink:
    new = telegram_links.create_link(her, None)
    token = new.url.rsplit("=", 1)[1]
    url = reverse("notify_hook_telegram")
    with capture(execute=True):
        client.post(
            url,
            data=json.dumps(tg.message_update(chat, f"/start {token}")),
            content_type="application/json",
            headers=tg.update_headers(),
        )
    link = TelegramLink.objects.get(participant=her, revoked_at__isnull=True)
    with capture(execute=True):
        response = client.post(
            url,
            data=json.dumps(tg.callback_update(chat, f"link:yes:{link.pk}")),
            content_type="application/json",
            headers=tg.update_headers(),
        )
    # The button's spinner is stopped in the webhook's own answer.
    assert response.json()["method"] == "answerCallbackQuery"
    link.refresh_from_db()
    assert link.confirmed_at is not None
    return link


def test_telegram_linking_and_stop_through_the_webhook(
    her: Participant,
    make_participant: Callable[..., Participant],
    tg: FakeTelegram,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    other = make_participant(contact_channels=["sms"])
    people.record_consent(other, kind="data_processing", version="2026-1")
    link = _linked(her, tg, CHAT, django_capture_on_commit_callbacks, client)
    _linked(other, tg, "777000111", django_capture_on_commit_callbacks, client)
    assert "telegram" in _channels(her)
    queued = _delivery(her, "telegram", Delivery.Status.QUEUED, "tg-1")
    answers = len(tg.messages)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("notify_hook_telegram"),
            data=json.dumps(tg.message_update(CHAT, "СТОП")),
            content_type="application/json",
            headers=tg.update_headers(),
        )
    assert response.status_code == 200
    assert "telegram" not in _channels(her)
    link.refresh_from_db()
    assert link.revoked_at is not None
    queued.refresh_from_db()
    assert (queued.status, queued.reason) == ("cancelled", "channel_not_safe")
    assert len(tg.messages) == answers  # nothing sent back
    # Her chat's STOP is hers alone.
    assert "telegram" in _channels(other)


def test_telegram_with_a_wrong_secret_changes_nothing(
    her: Participant, tg: FakeTelegram, client: Client
) -> None:
    new = telegram_links.create_link(her, None)
    token = new.url.rsplit("=", 1)[1]
    response = client.post(
        reverse("notify_hook_telegram"),
        data=json.dumps(tg.message_update(CHAT, f"/start {token}")),
        content_type="application/json",
        headers=tg.update_headers("guessed"),
    )
    assert response.status_code == 403
    assert TelegramLink.objects.get().used_at is None
    assert tg.messages == []


def test_her_blocking_the_bot_stops_telegram(
    her: Participant,
    tg: FakeTelegram,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _linked(her, tg, CHAT, django_capture_on_commit_callbacks, client)
    queued = _delivery(her, "telegram", Delivery.Status.QUEUED, "tg-blocked")
    response = client.post(
        reverse("notify_hook_telegram"),
        data=json.dumps(tg.blocked_update(CHAT)),
        content_type="application/json",
        headers=tg.update_headers(),
    )
    assert response.status_code == 200
    assert "telegram" not in _channels(her)
    queued.refresh_from_db()
    assert queued.status == "cancelled"


def test_a_stopped_chat_is_forgotten(
    her: Participant, tg: FakeTelegram, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    link = _linked(her, tg, CHAT, django_capture_on_commit_callbacks, client)
    inbound.handle("telegram", [Inbound(sender=CHAT, text="STOP", provider_message_id="u-stop")])
    link.refresh_from_db()
    assert (link.chat_id, link.chat_digest) == ("", None)
