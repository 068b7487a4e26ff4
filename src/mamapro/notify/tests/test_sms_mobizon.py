"""The production Mobizon adapter against the local Mobizon server (notify/fakes/mobizon.py):
sending, each class of error, flash SMS, polling, and finding a send a crash interrupted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.test import override_settings
from django.utils import timezone

from mamapro.notify.channels import adapter
from mamapro.notify.channels.base import NotConfigured, Outgoing, PermanentError, TransientError
from mamapro.notify.channels.http import HttpClient
from mamapro.notify.channels.mobizon import MobizonSMS
from mamapro.notify.fakes.mobizon import FakeMobizon
from mamapro.notify.tests import sms_world

PHONE = "+77011234567"

mobizon_server = sms_world.mobizon_server
fake = sms_world.fake


@pytest.fixture
def sms(fake: FakeMobizon) -> Iterator[MobizonSMS]:
    channel = adapter("sms")
    assert isinstance(channel, MobizonSMS)
    yield channel
    channel.close()


def outgoing(text: str = "Сабақ ертең 10:00-де.", **kw: object) -> Outgoing:
    fields: dict[str, object] = {
        "delivery_id": 1,
        "idempotency_key": "reminder:1:1",
        "to": PHONE,
        "text": text,
        "language": "kk",
    }
    fields.update(kw)
    return Outgoing(**fields)  # type: ignore[arg-type]


def test_send_posts_the_documented_fields_and_reads_the_message_id(
    fake: FakeMobizon, sms: MobizonSMS
) -> None:
    sent = sms.send(outgoing("Сәлеметсіз бе! Сабақ ертең 10:00-де."))
    [message] = fake.messages
    assert sent.provider_message_id == str(message.id)
    assert (message.to, message.text, message.sender) == (
        "77011234567",
        "Сәлеметсіз бе! Сабақ ертең 10:00-де.",
        "MamaPro",
    )
    [request] = fake.sends
    assert request.method == "POST"
    assert request.params["output"] == "json"
    assert request.params["api"] == "v1"
    assert "params[mclass]" not in request.params


def test_parts_are_counted_as_ucs2_for_kazakh(sms: MobizonSMS) -> None:
    assert sms.send(outgoing("ә" * 71)).parts == 2
    assert sms.send(outgoing("a" * 71)).parts == 1


def test_flash_sms_sends_mclass_0_only_when_asked(fake: FakeMobizon, sms: MobizonSMS) -> None:
    sms.send(outgoing("Кездесу ертең.", flash=True))
    sms.send(outgoing("Кездесу бүгін."))
    flash, plain = fake.sends
    assert flash.params["params[mclass]"] == "0"
    assert "params[mclass]" not in plain.params
    assert [m.flash for m in fake.messages] == [True, False]


def test_one_kept_alive_connection_for_many_messages(fake: FakeMobizon, sms: MobizonSMS) -> None:
    for n in range(5):
        sms.send(outgoing(f"Хабар {n}"))
    assert len(fake.messages) == 5
    assert sms._client is not None
    assert sms._client._conn is not None
    # The same socket served all five.
    sock = sms._client._conn.sock
    sms.send(outgoing("Тағы бір"))
    assert sms._client._conn.sock is sock


@pytest.mark.parametrize(
    "phone", ["", "12345", "+1 202 555 0100", "8 701 123 45", "+7 (601) 1234567"]
)
def test_a_malformed_phone_never_reaches_the_provider(
    fake: FakeMobizon, sms: MobizonSMS, phone: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        sms.send(outgoing(to=phone))
    assert caught.value.code == "invalid_recipient"
    assert sms.is_permanent(caught.value)
    assert fake.requests == []


def test_a_recipient_mobizon_refuses_is_permanent(fake: FakeMobizon, sms: MobizonSMS) -> None:
    fake.reject_recipient("77011234567")
    with pytest.raises(PermanentError) as caught:
        sms.send(outgoing())
    assert caught.value.code == "invalid_recipient"
    assert "77011234567" not in str(caught.value)
    assert fake.messages == []


def test_an_empty_text_is_permanent_and_not_sent(fake: FakeMobizon, sms: MobizonSMS) -> None:
    with pytest.raises(PermanentError):
        sms.send(outgoing("   "))
    assert fake.requests == []


def test_a_wrong_api_key_is_a_transient_configuration_error() -> None:
    """Code 8 is the account's settings, not the message's fault: kept for a retry."""
    with FakeMobizon() as server, override_settings(**{**server.settings(), "SMS_API_KEY": "x"}):
        sms = MobizonSMS()
        with pytest.raises(TransientError) as caught:
            sms.send(outgoing())
        sms.close()
    assert caught.value.code == "config_auth"
    assert not sms.is_permanent(caught.value)
    assert "x" not in str(caught.value).split()  # the key is never in the error


@pytest.mark.parametrize(
    ("code", "data", "error", "permanent"),
    [
        (1, {"text": "bad"}, "invalid", True),
        (1, {"from": "not registered"}, "config_sender", False),
        (2, [], "api_2", True),
        (3, [], "provider_error", False),
        (9, [], "config_access", False),
        (10, [], "provider_busy", False),
        (12, [], "api_12", True),
        (13, {"domain": "api.mobizon.uz"}, "config_domain", False),
        (14, [], "config_account_blocked", False),
        (15, [], "provider_refused", False),
        (30, [], "rate_limited", False),
        (999, [], "provider_error", False),
    ],
)
def test_api_codes_map_to_transient_or_permanent(
    fake: FakeMobizon, sms: MobizonSMS, code: int, data: object, error: str, permanent: bool
) -> None:
    fake.answer_next(code, data=data, message="some text")
    with pytest.raises((TransientError, PermanentError)) as caught:
        sms.send(outgoing())
    assert caught.value.code == error
    assert sms.is_permanent(caught.value) is permanent
    assert fake.messages == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_http_5xx_is_transient_and_the_next_try_goes(
    fake: FakeMobizon, sms: MobizonSMS, status: int
) -> None:
    fake.fail_next(1, status=status)
    with pytest.raises(TransientError) as caught:
        sms.send(outgoing())
    assert caught.value.code == "http_5xx"
    sms.send(outgoing())
    assert len(fake.messages) == 1


def test_a_slow_provider_times_out_as_transient(fake: FakeMobizon) -> None:
    fake.slow(1.0)
    sms = MobizonSMS()
    # The production client with a shorter timeout than its 10 s, to keep the test quick.
    sms._client = HttpClient(fake.url, timeout=0.2)
    with pytest.raises(TransientError) as caught:
        sms.send(outgoing())
    sms.close()
    assert caught.value.code == "timeout"


def test_a_provider_that_is_down_is_transient() -> None:
    with FakeMobizon() as server:
        settings = server.settings()
    # The fake stopped: nothing listens on its port any more.
    with override_settings(**settings):
        sms = MobizonSMS()
        with pytest.raises(TransientError) as caught:
            sms.send(outgoing())
    assert caught.value.code == "network"


def test_a_non_json_answer_is_transient(fake: FakeMobizon, sms: MobizonSMS) -> None:
    fake.fail_next(1, status=200)  # an HTML page with 200, e.g. a captive proxy
    with pytest.raises(TransientError) as caught:
        sms.send(outgoing())
    assert caught.value.code == "bad_response"


def test_without_a_key_the_channel_is_off_and_says_what_is_missing() -> None:
    with override_settings(SMS_API_KEY=""):
        sms = MobizonSMS()
        assert not sms.configured()
        assert sms.missing() == ["SMS_API_KEY"]
        assert sms.status_note() == ""
        with pytest.raises(NotConfigured):
            sms.send(outgoing())
    with override_settings(SMS_API_KEY="k", SMS_PROVIDER="other"):
        assert MobizonSMS().missing() == ["SMS_PROVIDER"]
    with override_settings(SMS_API_KEY="k", SMS_PROVIDER="mobizon", SMS_WEBHOOK_SECRET=""):
        assert MobizonSMS().configured()
        assert "SMS_WEBHOOK_SECRET" in MobizonSMS().status_note()


def test_rate_per_second_comes_from_a_setting() -> None:
    assert MobizonSMS().rate_per_second == 10
    with override_settings(SMS_RATE_PER_SECOND=3):
        assert MobizonSMS().rate_per_second == 3


def test_poll_maps_mobizon_statuses(fake: FakeMobizon, sms: MobizonSMS) -> None:
    ids = [sms.send(outgoing(f"Хабар {n}")).provider_message_id for n in range(4)]
    fake.set_status(ids[0], "DELIVRD")
    fake.set_status(ids[1], "UNDELIV")
    fake.set_status(ids[2], "EXPIRED")
    updates = {u.provider_message_id: u for u in sms.poll([*ids, "999999"])}
    assert set(updates) == set(ids)  # an id it never issued is simply absent
    assert updates[ids[0]].status == "delivered"
    assert (updates[ids[1]].status, updates[ids[1]].permanent) == ("failed", True)
    assert updates[ids[2]].error == "EXPIRED"
    assert updates[ids[3]].status == "sent"  # ACCEPTD
    delivered_at = updates[ids[0]].at
    assert delivered_at is not None
    assert delivered_at.tzinfo is not None


def test_poll_asks_at_most_100_ids_a_request(fake: FakeMobizon, sms: MobizonSMS) -> None:
    ids = [sms.send(outgoing(f"Хабар {n}")).provider_message_id for n in range(3)]
    asked = [*ids, *[str(n) for n in range(1, 199)]]
    assert len(sms.poll(asked)) == 3
    polls = [r for r in fake.requests if r.path.endswith("/getsmsstatus")]
    assert len(polls) == 3  # 201 ids: 100 + 100 + 1


def test_find_sent_finds_a_message_sent_before_a_crash(fake: FakeMobizon, sms: MobizonSMS) -> None:
    claimed = timezone.now()
    message = outgoing("Орныңыз дайын: https://example.kz/offers/abc", claimed_at=claimed)
    sent = sms.send(message)
    found = MobizonSMS().find_sent(message)
    assert found is not None
    assert found.provider_message_id == sent.provider_message_id
    [listing] = [r for r in fake.requests if r.path.endswith("/message/list")]
    assert listing.params["criteria[to]"] == "77011234567"
    assert listing.params["criteria[text]"] == message.text
    # In Mobizon's (the account's) time zone, 15 minutes before the claim.
    since = dt.datetime.strptime(
        listing.params["criteria[campaignCreateTsFrom]"], "%Y-%m-%d %H:%M:%S"
    )
    local = (claimed - dt.timedelta(minutes=15)).astimezone(fake.zone).replace(tzinfo=None)
    assert abs((since - local).total_seconds()) < 1


def test_find_sent_answers_none_when_it_never_went(fake: FakeMobizon, sms: MobizonSMS) -> None:
    sms.send(outgoing("Басқа хабар"))
    other_number = outgoing("Орныңыз дайын", claimed_at=timezone.now())
    assert sms.find_sent(other_number) is None
    same_text_other_phone = outgoing("Басқа хабар", to="+77019998877", claimed_at=timezone.now())
    assert sms.find_sent(same_text_other_phone) is None


def test_find_sent_ignores_the_same_text_sent_long_before_the_claim(
    fake: FakeMobizon, sms: MobizonSMS
) -> None:
    message = outgoing("Сабақ ертең")
    sms.send(message)
    later = outgoing("Сабақ ертең", claimed_at=timezone.now() + dt.timedelta(hours=2))
    assert sms.find_sent(later) is None


def test_find_sent_with_a_malformed_phone_asks_nobody(fake: FakeMobizon, sms: MobizonSMS) -> None:
    with pytest.raises(PermanentError):
        sms.find_sent(outgoing(to="123"))
    assert fake.requests == []


@pytest.mark.parametrize("code", [0, 100])
def test_taken_without_an_id_is_sent_not_an_error(
    fake: FakeMobizon, sms: MobizonSMS, code: int
) -> None:
    """Code 0 (or 100, taken for background work) means Mobizon has it: retrying would send
    her a second copy, so it counts as sent even without an id to follow."""
    fake.answer_next(code, data=[])
    sent = sms.send(outgoing())
    assert sent.provider_message_id == ""
    assert sms.poll([sent.provider_message_id]) == []


def test_a_discreet_sms_never_shows_a_sender_that_names_the_centre(
    fake: FakeMobizon, sms: MobizonSMS
) -> None:
    # The usual sender (MamaPro) is fine for her ordinary messages, never for a discreet one:
    # without a neutral one it waits as a configuration error, and the provider saw nothing.
    with override_settings(DISCREET_SMS_SENDER=""), pytest.raises(TransientError) as refused:
        sms.send(outgoing("Ертең 10:00.", discreet=True))
    assert refused.value.code == "config_discreet_sender"
    assert fake.messages == []
    with override_settings(DISCREET_SMS_SENDER="Info"):
        sms.send(outgoing("Ертең 10:00.", discreet=True))
        sms.send(outgoing("Ертең 10:00."))
    assert [m.sender for m in fake.messages] == ["Info", "MamaPro"]
