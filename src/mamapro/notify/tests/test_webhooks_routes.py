"""The other two webhooks route through the same view: /hooks/whatsapp (GET verification,
signed POSTs) and /hooks/telegram (the secret header), with their providers' local servers
building what the providers send. Their adapters' parsing is tested by their own files;
here: the view's answers (200, 403, 404, 405, 413) and that a verified call reaches the
outbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from mamapro.notify.fakes.telegram import FakeTelegram
from mamapro.notify.fakes.whatsapp import FakeWhatsApp
from mamapro.notify.models import Delivery
from mamapro.notify.tests import sms_world
from mamapro.notify.webhooks import MAX_BODY
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db
WHATSAPP = "/hooks/whatsapp"
TELEGRAM = "/hooks/telegram"


@pytest.fixture
def whatsapp() -> Iterator[FakeWhatsApp]:
    with FakeWhatsApp() as fake, override_settings(**fake.settings()):
        yield fake


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake, override_settings(**fake.settings()):
        yield fake


def test_the_urls_are_the_ones_in_the_api_document() -> None:
    assert reverse("notify_hook_whatsapp") == WHATSAPP
    assert reverse("notify_hook_telegram") == TELEGRAM


def test_unconfigured_channels_answer_404(client: Client) -> None:
    with override_settings(WHATSAPP_TOKEN="", TELEGRAM_BOT_TOKEN=""):
        assert client.get(WHATSAPP, {"hub.mode": "subscribe"}).status_code == 404
        assert client.post(WHATSAPP, "{}", content_type="application/json").status_code == 404
        assert client.post(TELEGRAM, "{}", content_type="application/json").status_code == 404


def test_whatsapp_verification_answers_the_challenge(
    client: Client, whatsapp: FakeWhatsApp
) -> None:
    response = client.get(WHATSAPP, whatsapp.verification(challenge="8731"))
    assert response.status_code == 200
    assert response.content == b"8731"
    assert client.get(WHATSAPP, whatsapp.verification(token="wrong")).status_code == 403


def test_a_signed_whatsapp_status_reaches_the_outbox(
    client: Client, whatsapp: FakeWhatsApp, make_participant: Callable[..., Participant]
) -> None:
    woman = make_participant()
    row = sms_world.sent_row(woman, "wamid.HBgLNzcwMTIzNDU2NzgVAgARGBI", channel="whatsapp")
    payload = whatsapp.notification(
        statuses=[whatsapp.status("wamid.HBgLNzcwMTIzNDU2NzgVAgARGBI", "delivered")]
    )
    body, headers = whatsapp.signed(payload)
    bad_body, bad_headers = whatsapp.signed(payload, secret="not-ours")
    assert (
        client.post(
            WHATSAPP, bad_body, content_type="application/json", headers=bad_headers
        ).status_code
        == 403
    )
    assert Delivery.objects.get(pk=row.pk).status == Delivery.Status.SENT
    assert (
        client.post(WHATSAPP, body, content_type="application/json", headers=headers).status_code
        == 200
    )
    assert Delivery.objects.get(pk=row.pk).status == Delivery.Status.DELIVERED


def test_an_unsigned_whatsapp_post_is_403(client: Client, whatsapp: FakeWhatsApp) -> None:
    body = json.dumps(whatsapp.notification(statuses=[whatsapp.status("wamid.X", "failed")]))
    assert client.post(WHATSAPP, body, content_type="application/json").status_code == 403


def test_telegram_needs_its_secret_header(client: Client, telegram: FakeTelegram) -> None:
    update = json.dumps(telegram.message_update(5551234, "привет"))
    assert client.post(TELEGRAM, update, content_type="application/json").status_code == 403
    wrong = telegram.update_headers(secret="guess")
    assert (
        client.post(TELEGRAM, update, content_type="application/json", headers=wrong).status_code
        == 403
    )
    right = telegram.update_headers()
    assert (
        client.post(TELEGRAM, update, content_type="application/json", headers=right).status_code
        == 200
    )


@pytest.mark.parametrize("method", ["get", "put"])
def test_telegram_takes_posts_only(client: Client, telegram: FakeTelegram, method: str) -> None:
    assert getattr(client, method)(TELEGRAM).status_code == 405


def test_a_body_over_the_limit_is_413_on_every_hook(
    client: Client, whatsapp: FakeWhatsApp, telegram: FakeTelegram
) -> None:
    big = json.dumps({"padding": "x" * MAX_BODY})
    headers = telegram.update_headers()
    assert (
        client.post(TELEGRAM, big, content_type="application/json", headers=headers).status_code
        == 413
    )
    body, signed = whatsapp.signed({"padding": "x" * MAX_BODY})
    assert (
        client.post(WHATSAPP, body, content_type="application/json", headers=signed).status_code
        == 413
    )
