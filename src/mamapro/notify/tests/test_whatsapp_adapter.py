"""The WhatsApp adapter is the production class pointed at a local Cloud API (FakeWhatsApp)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import RequestFactory

from mamapro.notify.channels import adapter
from mamapro.notify.channels.base import (
    BadSignature,
    NotConfigured,
    Outgoing,
    PermanentError,
    TransientError,
)
from mamapro.notify.channels.whatsapp import WhatsAppCloud
from mamapro.notify.fakes.whatsapp import FakeWhatsApp
from mamapro.notify.tests import tg_world

PHONE = "+77011234567"


wa = tg_world.wa


def _out(**kw: Any) -> Outgoing:
    base: dict[str, Any] = dict(
        delivery_id=1,
        idempotency_key="k1",
        to=PHONE,
        text="rendered text, not sent on WhatsApp",
        language="kk",
        template_name="reminder_v1",
        template_params=("ертең", "10:00"),
    )
    base.update(kw)
    return Outgoing(**base)


def test_the_registry_gives_the_cloud_api() -> None:
    cloud = adapter("whatsapp")
    assert isinstance(cloud, WhatsAppCloud)
    assert (cloud.channel, cloud.provider) == ("whatsapp", "whatsapp_cloud")


def test_without_its_variables_the_channel_is_off_and_names_them(settings: Any) -> None:
    settings.WHATSAPP_TOKEN = ""
    settings.WHATSAPP_PHONE_ID = "1"
    settings.WHATSAPP_APP_SECRET = ""
    settings.WHATSAPP_VERIFY_TOKEN = "v"
    cloud = WhatsAppCloud()
    assert not cloud.configured()
    assert cloud.missing() == ["WHATSAPP_TOKEN", "WHATSAPP_APP_SECRET"]
    with pytest.raises(NotConfigured):
        cloud.send(_out())


@pytest.mark.parametrize(("language", "code"), [("kk", "kk"), ("ru", "ru"), ("en", "en")])
def test_send_is_an_approved_template_in_her_language(
    wa: FakeWhatsApp, language: str, code: str
) -> None:
    sent = WhatsAppCloud().send(_out(language=language))
    [message] = wa.messages
    assert message.to == "77011234567"  # digits, no "+"
    assert (message.template, message.language) == ("reminder_v1", code)
    assert message.params == ("ертең", "10:00")
    assert sent.provider_message_id == message.id
    [body] = wa.requests
    assert body["messaging_product"] == "whatsapp"
    assert body["type"] == "template"
    assert body["template"]["components"] == [
        {
            "type": "body",
            "parameters": [{"type": "text", "text": "ертең"}, {"type": "text", "text": "10:00"}],
        }
    ]
    # The free text is never sent: outside her 24-hour window only templates may go.
    assert "text" not in body


def test_a_template_without_parameters_has_no_components(settings: Any) -> None:
    with FakeWhatsApp(templates={"hello": 0}) as fake:
        tg_world.point_at(fake, settings)
        WhatsAppCloud().send(_out(template_name="hello", template_params=()))
        [body] = fake.requests
    assert "components" not in body["template"]


@pytest.mark.parametrize("to", ["12345", "+1 202 555 0100", "", "+7 701 123"])
def test_a_malformed_phone_never_reaches_the_provider(wa: FakeWhatsApp, to: str) -> None:
    with pytest.raises(PermanentError) as caught:
        WhatsAppCloud().send(_out(to=to))
    assert caught.value.code == "bad_address"
    assert wa.requests == []


def test_no_template_no_message(wa: FakeWhatsApp) -> None:
    with pytest.raises(PermanentError) as caught:
        WhatsAppCloud().send(_out(template_name=""))
    assert caught.value.code == "no_template"
    assert wa.requests == []


def test_an_unknown_language_is_refused_before_sending(wa: FakeWhatsApp) -> None:
    with pytest.raises(PermanentError) as caught:
        WhatsAppCloud().send(_out(language="de"))
    assert caught.value.code == "language"
    assert wa.requests == []


def test_a_template_it_does_not_know_is_permanent(wa: FakeWhatsApp) -> None:
    with pytest.raises(PermanentError) as caught:
        WhatsAppCloud().send(_out(template_name="nope"))
    assert caught.value.code == "132001"


def test_a_wrong_number_of_parameters_is_permanent(wa: FakeWhatsApp) -> None:
    with pytest.raises(PermanentError) as caught:
        WhatsAppCloud().send(_out(template_params=("one",)))
    assert caught.value.code == "132000"
    assert "number of" in str(caught.value)


@pytest.mark.parametrize("code", [131026, 131047, 132015, 131009])
def test_permanent_error_codes(wa: FakeWhatsApp, code: int) -> None:
    wa.error_next(code)
    cloud = WhatsAppCloud()
    with pytest.raises(PermanentError) as caught:
        cloud.send(_out())
    assert caught.value.code == str(code)
    assert cloud.is_permanent(caught.value)
    assert PHONE.removeprefix("+") not in str(caught.value)


@pytest.mark.parametrize("code", [130429, 131056, 131000, 131049, 190, 131031])
def test_transient_error_codes(wa: FakeWhatsApp, code: int) -> None:
    wa.error_next(code)
    cloud = WhatsAppCloud()
    with pytest.raises(TransientError) as caught:
        cloud.send(_out())
    assert caught.value.code == str(code)
    assert not cloud.is_permanent(caught.value)
    # It goes on the next attempt.
    cloud.send(_out())
    assert len(wa.messages) == 1


def test_an_expired_token_says_so(wa: FakeWhatsApp, settings: Any) -> None:
    settings.WHATSAPP_TOKEN = "expired"
    with pytest.raises(TransientError) as caught:
        WhatsAppCloud().send(_out())
    assert caught.value.code == "190"
    assert "access token" in str(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_proxy_error_page_is_transient(wa: FakeWhatsApp, status: int) -> None:
    wa.fail_next(status=status)
    with pytest.raises(TransientError) as caught:
        WhatsAppCloud().send(_out())
    assert caught.value.code == "http"


def test_a_provider_that_is_down_is_transient(settings: Any) -> None:
    with FakeWhatsApp() as fake:
        tg_world.point_at(fake, settings)
    with pytest.raises(TransientError) as caught:
        WhatsAppCloud().send(_out())
    assert caught.value.code == "network"


def test_no_status_query_and_no_lookup(wa: FakeWhatsApp) -> None:
    cloud = WhatsAppCloud()
    assert cloud.poll(["wamid.1"]) == []
    with pytest.raises(NotImplementedError):
        cloud.find_sent(_out())
    assert wa.requests == []


# --- webhook ---------------------------------------------------------------------------------


def _post(body: bytes, headers: dict[str, str]) -> Any:
    return RequestFactory().post(
        "/hooks/whatsapp", data=body, content_type="application/json", headers=headers
    )


def test_statuses_out_of_order_each_with_its_status(wa: FakeWhatsApp) -> None:
    sent = WhatsAppCloud().send(_out()).provider_message_id
    payload = wa.notification(
        statuses=[
            wa.status(sent, "read", timestamp=1_790_000_300),
            wa.status(sent, "delivered", timestamp=1_790_000_200),
            wa.status(sent, "sent", timestamp=1_790_000_100),
        ]
    )
    result = WhatsAppCloud().parse_webhook(_post(*wa.signed(payload)))
    # "read" counts as delivered; the outbox keeps the highest of what arrives.
    assert [(u.provider_message_id, u.status) for u in result.updates] == [
        (sent, "delivered"),
        (sent, "delivered"),
        (sent, "sent"),
    ]
    assert [u.at.timestamp() for u in result.updates if u.at] == [
        1_790_000_300,
        1_790_000_200,
        1_790_000_100,
    ]
    assert result.inbound == []


def test_a_failed_status_carries_its_error_and_whether_it_is_permanent(wa: FakeWhatsApp) -> None:
    payload = wa.notification(
        statuses=[
            wa.status("wamid.A", "failed", code=131026),
            wa.status("wamid.B", "failed", code=131049),
        ]
    )
    updates = WhatsAppCloud().parse_webhook(_post(*wa.signed(payload))).updates
    assert [(u.status, u.permanent) for u in updates] == [("failed", True), ("failed", False)]
    assert updates[0].error == "131026: Message undeliverable"
    # Never her number.
    assert all("7701" not in u.error for u in updates)


def test_her_reply_is_an_inbound_message_from_her_number(wa: FakeWhatsApp) -> None:
    payload = wa.notification(
        messages=[wa.text_message("77011234567", "СТОП", message_id="wamid.X")]
    )
    result = WhatsAppCloud().parse_webhook(_post(*wa.signed(payload)))
    [inbound] = result.inbound
    assert (inbound.sender, inbound.text, inbound.provider_message_id) == (
        "+77011234567",
        "СТОП",
        "wamid.X",
    )


def test_a_template_button_reply_is_read_as_its_text(wa: FakeWhatsApp) -> None:
    button = {
        "from": "77011234567",
        "id": "wamid.BTN",
        "timestamp": "1790000000",
        "type": "button",
        "button": {"text": "Stop", "payload": "stop"},
    }
    payload = wa.notification(
        messages=[button, {"from": "7701", "id": "wamid.IMG", "type": "image"}]
    )
    [inbound] = WhatsAppCloud().parse_webhook(_post(*wa.signed(payload))).inbound
    assert inbound.text == "Stop"


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha256=" + "0" * 64, "sha1=abc", "WRONG_SECRET"],
)
def test_a_wrong_signature_is_refused(wa: FakeWhatsApp, signature: str | None) -> None:
    payload = wa.notification(statuses=[wa.status("wamid.A", "delivered")])
    body, headers = wa.signed(payload)
    if signature == "WRONG_SECRET":
        headers = {"X-Hub-Signature-256": wa.sign(body, secret="another")}
    elif signature is None:
        headers = {}
    else:
        headers = {"X-Hub-Signature-256": signature}
    with pytest.raises(BadSignature):
        WhatsAppCloud().parse_webhook(_post(body, headers))


def test_a_body_changed_after_signing_is_refused(wa: FakeWhatsApp) -> None:
    body, headers = wa.signed(wa.notification(statuses=[wa.status("wamid.A", "delivered")]))
    with pytest.raises(BadSignature):
        WhatsAppCloud().parse_webhook(_post(body.replace(b"delivered", b"failed"), headers))


def test_the_signature_is_over_the_raw_body(wa: FakeWhatsApp) -> None:
    # The same JSON with other spacing has another signature: the raw bytes are signed.
    payload = wa.notification(statuses=[wa.status("wamid.A", "sent")])
    raw = json.dumps(payload, indent=2).encode()
    ok = WhatsAppCloud().parse_webhook(_post(raw, {"X-Hub-Signature-256": wa.sign(raw)}))
    assert len(ok.updates) == 1
    with pytest.raises(BadSignature):
        WhatsAppCloud().parse_webhook(
            _post(raw, {"X-Hub-Signature-256": wa.sign(json.dumps(payload).encode())})
        )


def test_an_uppercase_hex_signature_is_accepted(wa: FakeWhatsApp) -> None:
    body, headers = wa.signed(wa.notification(statuses=[wa.status("wamid.A", "sent")]))
    upper = {"X-Hub-Signature-256": "sha256=" + headers["X-Hub-Signature-256"][7:].upper()}
    assert len(WhatsAppCloud().parse_webhook(_post(body, upper)).updates) == 1


def test_the_subscription_check_answers_the_challenge(wa: FakeWhatsApp) -> None:
    request = RequestFactory().get("/hooks/whatsapp", wa.verification(challenge="8765309"))
    result = WhatsAppCloud().parse_webhook(request)
    assert result.response is not None
    assert result.response.status_code == 200
    assert result.response.content == b"8765309"
    assert result.updates == []
    assert result.inbound == []


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {
            "hub.mode": "unsubscribe",
            "hub.verify_token": "fake-whatsapp-verify-token",
            "hub.challenge": "1",
        },
        {"hub.challenge": "1"},
    ],
    ids=["wrong-token", "wrong-mode", "nothing"],
)
def test_a_wrong_subscription_check_is_refused(wa: FakeWhatsApp, query: dict[str, str]) -> None:
    with pytest.raises(BadSignature):
        WhatsAppCloud().parse_webhook(RequestFactory().get("/hooks/whatsapp", query))


def test_without_a_verify_token_no_subscription_check_passes(
    wa: FakeWhatsApp, settings: Any
) -> None:
    settings.WHATSAPP_VERIFY_TOKEN = ""
    query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    with pytest.raises(BadSignature):
        WhatsAppCloud().parse_webhook(RequestFactory().get("/hooks/whatsapp", query))


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"entry": "x"},
        {"entry": [{"changes": [{"value": {"statuses": "x", "messages": 5}}]}]},
        {"entry": [{"changes": [{"value": {"statuses": [{"id": "w", "status": "deleted"}]}}]}]},
        {"entry": [{"changes": [{"value": {"statuses": [{"status": "sent"}]}}]}]},
    ],
    ids=["list", "entry-string", "wrong-types", "unknown-status", "no-id"],
)
def test_signed_but_unusable_notifications_carry_nothing(wa: FakeWhatsApp, payload: Any) -> None:
    body = json.dumps(payload).encode()
    result = WhatsAppCloud().parse_webhook(_post(body, {"X-Hub-Signature-256": wa.sign(body)}))
    assert result.updates == []
    assert result.inbound == []
