"""The Telegram adapter is the production class pointed at a local Bot API (FakeTelegram)."""

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
from mamapro.notify.channels.telegram import TelegramBot
from mamapro.notify.fakes.telegram import FakeTelegram
from mamapro.notify.tests import tg_world

CHAT = "501234567"


tg = tg_world.tg


def _out(text: str = "Напоминание: завтра в 10:00.", **kw: Any) -> Outgoing:
    base: dict[str, Any] = dict(
        delivery_id=1, idempotency_key="k1", to=CHAT, text=text, language="ru"
    )
    base.update(kw)
    return Outgoing(**base)


def test_the_registry_gives_the_telegram_bot() -> None:
    bot = adapter("telegram")
    assert isinstance(bot, TelegramBot)
    assert (bot.channel, bot.provider) == ("telegram", "telegram_bot")


def test_without_its_variables_the_channel_is_off_and_names_them(settings: Any) -> None:
    settings.TELEGRAM_BOT_TOKEN = ""
    settings.TELEGRAM_BOT_NAME = "SomeBot"
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    bot = TelegramBot()
    assert not bot.configured()
    assert bot.missing() == ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"]
    with pytest.raises(NotConfigured):
        bot.send(_out())


def test_send_protects_the_content_and_turns_off_link_previews(tg: FakeTelegram) -> None:
    sent = TelegramBot().send(_out())
    [message] = tg.messages
    assert message.chat_id == int(CHAT)
    assert message.text == "Напоминание: завтра в 10:00."
    assert message.protect_content is True
    # A preview of our site would name the centre above a discreet text.
    assert message.link_preview_disabled is True
    assert message.buttons == ()
    assert sent.provider_message_id == str(message.message_id)


def test_buttons_become_an_inline_keyboard(tg: FakeTelegram) -> None:
    TelegramBot().send(_out(buttons=(("Да", "link:yes:4"), ("Нет", "link:no:4"))))
    [message] = tg.messages
    assert message.buttons == (("Да", "link:yes:4"), ("Нет", "link:no:4"))
    [(method, body)] = tg.requests
    assert method == "sendMessage"
    assert body["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "Да", "callback_data": "link:yes:4"},
                {"text": "Нет", "callback_data": "link:no:4"},
            ]
        ]
    }


def test_one_connection_is_kept_alive_for_many_messages(tg: FakeTelegram) -> None:
    bot = TelegramBot()
    for i in range(5):
        bot.send(_out(f"message {i}"))
    assert [m.text for m in tg.messages] == [f"message {i}" for i in range(5)]
    client = bot.http()
    assert client._conn is not None
    assert client._conn.sock is not None


@pytest.mark.parametrize(
    "why", ["bot was blocked by the user", "user is deactivated"], ids=["blocked", "deactivated"]
)
def test_a_blocked_bot_or_a_deactivated_account_is_permanent(tg: FakeTelegram, why: str) -> None:
    tg.block(CHAT, why=why)
    bot = TelegramBot()
    with pytest.raises(PermanentError) as caught:
        bot.send(_out())
    assert caught.value.code == "blocked"
    assert why in str(caught.value)
    assert bot.is_permanent(caught.value)
    assert tg.messages == []


def test_chat_not_found_is_permanent(tg: FakeTelegram) -> None:
    tg.forget(CHAT)
    with pytest.raises(PermanentError) as caught:
        TelegramBot().send(_out())
    assert caught.value.code == "chat_not_found"


def test_too_many_requests_is_transient_and_says_how_long_to_wait(tg: FakeTelegram) -> None:
    tg.rate_limit_next(retry_after=17)
    bot = TelegramBot()
    with pytest.raises(TransientError) as caught:
        bot.send(_out())
    assert caught.value.code == "retry_after:17"
    assert "17" in str(caught.value)
    assert not bot.is_permanent(caught.value)
    # The next call goes through.
    bot.send(_out())
    assert len(tg.messages) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(tg: FakeTelegram, status: int) -> None:
    tg.fail_next(status=status, description="Internal Server Error")
    with pytest.raises(TransientError) as caught:
        TelegramBot().send(_out())
    assert caught.value.code == "server"


def test_a_wrong_bot_token_is_a_configuration_error_not_a_lost_message(
    tg: FakeTelegram, settings: Any
) -> None:
    settings.TELEGRAM_BOT_TOKEN = "123:wrong"
    with pytest.raises(TransientError) as caught:
        TelegramBot().send(_out())
    assert caught.value.code == "unauthorized"


def test_a_provider_that_is_down_is_transient(settings: Any) -> None:
    with FakeTelegram() as fake:
        tg_world.point_at(fake, settings)
    # The fake is stopped: nothing listens on its port any more.
    with pytest.raises(TransientError) as caught:
        TelegramBot().send(_out())
    assert caught.value.code == "network"


@pytest.mark.parametrize(
    ("to", "text", "code"),
    [("@channel", "hi", "bad_address"), ("", "hi", "bad_address"), (CHAT, "  ", "empty")],
)
def test_bad_input_never_reaches_telegram(tg: FakeTelegram, to: str, text: str, code: str) -> None:
    with pytest.raises(PermanentError) as caught:
        TelegramBot().send(_out(text, to=to))
    assert caught.value.code == code
    assert tg.requests == []


def test_a_message_longer_than_telegram_takes_is_refused_before_sending(tg: FakeTelegram) -> None:
    with pytest.raises(PermanentError) as caught:
        TelegramBot().send(_out("я" * 4097))
    assert caught.value.code == "too_long"
    assert tg.requests == []


def test_no_status_query_and_no_lookup(tg: FakeTelegram) -> None:
    bot = TelegramBot()
    assert bot.poll(["1", "2"]) == []
    with pytest.raises(NotImplementedError):
        bot.find_sent(_out())
    assert tg.requests == []


# --- webhook ---------------------------------------------------------------------------------


def _hook(update: dict[str, Any], headers: dict[str, str]) -> Any:
    return RequestFactory().post(
        "/hooks/telegram",
        data=json.dumps(update),
        content_type="application/json",
        headers=headers,
    )


def test_the_webhook_reads_her_message(tg: FakeTelegram) -> None:
    update = tg.message_update(CHAT, "/start abc")
    result = TelegramBot().parse_webhook(_hook(update, tg.update_headers()))
    [inbound] = result.inbound
    assert inbound.sender == CHAT
    assert inbound.text == "/start abc"
    assert inbound.callback == ""
    # The update id, unique per bot (a message id repeats from chat to chat).
    assert inbound.provider_message_id == str(update["update_id"])
    assert inbound.at is not None
    assert result.updates == []
    assert result.response is None


def test_the_webhook_reads_a_button_and_answers_the_callback(tg: FakeTelegram) -> None:
    update = tg.callback_update(CHAT, "link:yes:3", message_id=9)
    result = TelegramBot().parse_webhook(_hook(update, tg.update_headers()))
    [inbound] = result.inbound
    assert (inbound.sender, inbound.callback, inbound.text) == (CHAT, "link:yes:3", "")
    assert result.response is not None
    assert json.loads(result.response.content) == {
        "method": "answerCallbackQuery",
        "callback_query_id": update["callback_query"]["id"],
    }


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {"X-Telegram-Bot-Api-Secret-Token": ""}],
    ids=["missing", "wrong", "empty"],
)
def test_a_wrong_secret_is_refused(tg: FakeTelegram, headers: dict[str, str]) -> None:
    with pytest.raises(BadSignature):
        TelegramBot().parse_webhook(_hook(tg.message_update(CHAT, "STOP"), headers))


def test_without_a_configured_secret_every_update_is_refused(
    tg: FakeTelegram, settings: Any
) -> None:
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    with pytest.raises(BadSignature):
        TelegramBot().parse_webhook(
            _hook(tg.message_update(CHAT, "x"), {"X-Telegram-Bot-Api-Secret-Token": ""})
        )


def test_the_secret_is_compared_in_constant_time() -> None:
    import inspect

    from mamapro.notify.channels import telegram

    source = inspect.getsource(telegram.TelegramBot.parse_webhook)
    assert "hmac.compare_digest" in source
    assert "== secret" not in source
    assert "secret ==" not in source


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"update_id": "x"}),
        json.dumps({"update_id": 5, "edited_message": {"text": "hi"}}),
        json.dumps({"update_id": 5, "message": {"chat": {"id": "abc"}, "text": "hi"}}),
        json.dumps({"update_id": 5, "message": {"chat": {"id": 5, "type": "group"}, "text": "x"}}),
        json.dumps({"update_id": 5, "message": {"chat": {"id": 5, "type": "private"}}}),
    ],
    ids=["junk", "list", "bad-id", "edited", "bad-chat", "group", "no-text"],
)
def test_signed_but_unusable_updates_carry_nothing(tg: FakeTelegram, body: str) -> None:
    request = RequestFactory().post(
        "/hooks/telegram", data=body, content_type="application/json", headers=tg.update_headers()
    )
    result = TelegramBot().parse_webhook(request)
    assert result.inbound == []
    assert result.updates == []


def test_her_blocking_the_bot_is_read_as_her_stop(tg: FakeTelegram) -> None:
    update = tg.blocked_update(CHAT)
    [inbound] = TelegramBot().parse_webhook(_hook(update, tg.update_headers())).inbound
    assert (inbound.sender, inbound.text) == (CHAT, "/stop")
    assert inbound.provider_message_id == str(update["update_id"])
    # Unblocking, or a group the bot leaves, is nothing of hers.
    unblocked = tg.blocked_update(CHAT)
    unblocked["my_chat_member"]["new_chat_member"]["status"] = "member"
    group = tg.blocked_update("-100123")
    group["my_chat_member"]["chat"]["type"] = "group"
    for other in (unblocked, group):
        assert TelegramBot().parse_webhook(_hook(other, tg.update_headers())).inbound == []


def test_the_webhook_is_registered_with_our_secret(tg: FakeTelegram, settings: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    settings.SITE_URL = "https://centre.example.kz"
    out = StringIO()
    call_command("telegram_webhook", stdout=out)
    assert tg.webhook == {
        "url": "https://centre.example.kz/hooks/telegram",
        "secret_token": tg.webhook_secret,
        "allowed_updates": ["message", "callback_query", "my_chat_member"],
    }
    assert "https://centre.example.kz/hooks/telegram" in out.getvalue()


@pytest.mark.parametrize(
    ("site", "url", "says"),
    [("", "", "SITE_URL"), ("http://plain.example", "", "HTTPS")],
)
def test_the_webhook_command_names_what_is_wrong(
    tg: FakeTelegram, settings: Any, site: str, url: str, says: str
) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.SITE_URL = site
    with pytest.raises(CommandError, match=says):
        call_command("telegram_webhook", url=url)
    assert tg.webhook == {}


def test_the_webhook_command_without_a_bot(settings: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.TELEGRAM_BOT_TOKEN = ""
    with pytest.raises(CommandError, match="TELEGRAM_BOT_TOKEN"):
        call_command("telegram_webhook", url="https://x.example/hooks/telegram")
