"""Telegram, through the Bot API (https://core.telegram.org/bots/api).

Sending: `POST {TELEGRAM_API_URL}/bot<token>/sendMessage` with `chat_id`, `text`,
`protect_content: true` (Telegram then refuses to forward or save the message: a copy of it
cannot end up on someone else's phone) and link previews off (a preview of our site would
name the centre above a discreet text); `Outgoing.buttons` become an inline keyboard. The
answer is `{"ok": true, "result": {"message_id": …}}` or `{"ok": false, "error_code": …,
"description": …, "parameters": {"retry_after": …}}`.

Which errors are permanent (never retried): 403 (she blocked the bot, or her account is
deactivated), 400 (chat not found, a message Telegram will never take). Transient: 429 (we go
too fast; `retry_after` seconds is in the error's code and message), 5xx, the network, and
401/404 (a wrong bot token: a configuration error an administrator fixes — the message must
not be lost meanwhile; its code says "unauthorized").

The Bot API reports no delivery: a message is "sent" when Telegram accepts it, and `poll`
returns [] (there is no status query). Nor can one ask whether a message went out, so
`find_sent` raises NotImplementedError and the outbox never resends one in doubt.

Webhook (`POST /hooks/telegram`): Telegram sends the `secret_token` we gave `setWebhook` in
`X-Telegram-Bot-Api-Secret-Token`; it is compared in constant time. Updates read: `message`
(her text, a `/start <token>`) and `callback_query` (a button she pressed), each as an
`Inbound` whose `provider_message_id` is the update's `update_id` (unique per bot; a
`message_id` is unique only within one chat); her blocking the bot (`my_chat_member`, status
"kicked") is read as her "/stop". A button press is acknowledged in the webhook's
own answer (`answerCallbackQuery`, no text), so her app stops its spinner without a second
request from us.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from mamapro.notify.channels.base import (
    BadSignature,
    Inbound,
    Outgoing,
    PermanentError,
    Sent,
    StatusUpdate,
    TransientError,
    WebhookResult,
)
from mamapro.notify.channels.http import HttpAdapter

SECRET_HEADER = "HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"  # noqa: S105 (a header name)
# The updates `read_update` acts on (setWebhook's `allowed_updates`).
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
# Telegram's own limit for one message's text.
MAX_TEXT = 4096


class TelegramBot(HttpAdapter):
    channel = "telegram"
    provider = "telegram_bot"
    REQUIRED = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_NAME", "TELEGRAM_WEBHOOK_SECRET")
    BASE_URL_SETTING = "TELEGRAM_API_URL"

    def __init__(self) -> None:
        super().__init__()
        # About 30 messages a second per bot is Telegram's published ceiling.
        self.rate_per_second = float(getattr(settings, "TELEGRAM_RATE_PER_SECOND", 25.0))

    def _call(self, method: str, payload: dict[str, Any]) -> Any:
        """One Bot API method; its `result`, or the error the answer describes."""
        answer = self.http().post_json(f"/bot{settings.TELEGRAM_BOT_TOKEN}/{method}", payload)
        try:
            data = answer.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if answer.status >= 500 or answer.status == 429:
                raise TransientError(f"Telegram answered HTTP {answer.status}", code="http")
            raise TransientError(
                f"Telegram answered HTTP {answer.status} without JSON", code="bad_answer"
            )
        if data.get("ok") is True:
            return data.get("result")
        raise _error(answer.status, data)

    # --- sending ----------------------------------------------------------------------------

    def send(self, message: Outgoing) -> Sent:
        chat = message.to.strip()
        # A chat id is an integer (negative for groups); anything else would be a
        # "@channelname", which we never write to.
        if not chat.lstrip("-").isdigit():
            raise PermanentError("not a Telegram chat id", code="bad_address")
        if not message.text.strip():
            raise PermanentError("empty message", code="empty")
        if len(message.text) > MAX_TEXT:
            raise PermanentError(
                f"message longer than Telegram's {MAX_TEXT} characters", code="too_long"
            )
        payload: dict[str, Any] = {
            "chat_id": int(chat),
            "text": message.text,
            "protect_content": True,
            "link_preview_options": {"is_disabled": True},
        }
        if message.buttons:
            payload["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": label, "callback_data": data} for label, data in message.buttons]
                ]
            }
        result = self._call("sendMessage", payload)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if message_id is None:
            # Telegram said ok: the message is out. Recording it as failed would invite a
            # retry, a second copy.
            return Sent(provider_message_id="")
        return Sent(provider_message_id=str(message_id))

    def poll(self, provider_message_ids: list[str]) -> list[StatusUpdate]:
        # The Bot API has no delivery status to ask for.
        return []

    def find_sent(self, message: Outgoing) -> Sent | None:
        raise NotImplementedError("the Telegram Bot API cannot tell whether a message went out")

    # --- webhook ----------------------------------------------------------------------------

    def set_webhook(self, url: str) -> None:
        """Tell Telegram where to post updates, with our secret and only the updates we read."""
        self._call(
            "setWebhook",
            {
                "url": url,
                "secret_token": settings.TELEGRAM_WEBHOOK_SECRET,
                "allowed_updates": list(ALLOWED_UPDATES),
            },
        )

    def parse_webhook(self, request: HttpRequest) -> WebhookResult:
        secret = settings.TELEGRAM_WEBHOOK_SECRET
        given = request.META.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            raise BadSignature("X-Telegram-Bot-Api-Secret-Token does not match")
        if request.method != "POST":
            raise BadSignature("Telegram posts its updates")
        try:
            update = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            # Signed by our secret but unreadable: nothing to act on, and Telegram must not
            # retry it forever.
            return WebhookResult()
        return read_update(update)


def _error(status: int, data: dict[str, Any]) -> Exception:
    code = data.get("error_code", status)
    description = str(data.get("description", ""))[:200]
    raw = data.get("parameters")
    parameters: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if code == 429:
        after = parameters.get("retry_after", "")
        return TransientError(
            f"Telegram asks to wait {after} s: {description}", code=f"retry_after:{after}"
        )
    if code in (401, 404):
        return TransientError(f"the bot token is refused: {description}", code="unauthorized")
    if code == 403:
        return PermanentError(description or "Forbidden", code="blocked")
    if code == 400:
        lowered = description.lower()
        which = "chat_not_found" if "chat not found" in lowered else "bad_request"
        return PermanentError(description or "Bad Request", code=which)
    if isinstance(code, int) and code >= 500:
        return TransientError(f"Telegram error {code}: {description}", code="server")
    return TransientError(f"Telegram error {code}: {description}", code=str(code))


def _at(unix: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(unix), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _chat_id(message: Any) -> str:
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    return str(chat_id) if isinstance(chat_id, int) else ""


def read_update(update: Any) -> WebhookResult:
    """An Update as `Inbound` (her message or her button), and the answer Telegram expects."""
    result = WebhookResult()
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return result
    update_id = str(update["update_id"])
    message = update.get("message")
    if isinstance(message, dict):
        chat = _chat_id(message)
        text = message.get("text")
        # Only a private chat is a woman writing to the bot (a group's messages are not hers).
        private = isinstance(message.get("chat"), dict) and message["chat"].get("type") in (
            "private",
            None,
        )
        if chat and private and isinstance(text, str):
            result.inbound.append(
                Inbound(
                    sender=chat,
                    text=text,
                    provider_message_id=update_id,
                    at=_at(message.get("date")),
                )
            )
        return result
    member = update.get("my_chat_member")
    if isinstance(member, dict):
        chat = _chat_id(member)
        new = member.get("new_chat_member")
        status = new.get("status") if isinstance(new, dict) else None
        if chat and member["chat"].get("type") == "private" and status == "kicked":
            # She blocked the bot: no message can reach her there any more, and it is her
            # doing — read as her "/stop" (her waiting messages are cancelled at once instead
            # of each failing with 403).
            result.inbound.append(
                Inbound(
                    sender=chat,
                    text="/stop",
                    provider_message_id=update_id,
                    at=_at(member.get("date")),
                )
            )
        return result
    query = update.get("callback_query")
    if isinstance(query, dict):
        query_id = query.get("id")
        chat = _chat_id(query.get("message"))
        data = query.get("data")
        if chat and isinstance(data, str):
            result.inbound.append(
                Inbound(
                    sender=chat,
                    text="",
                    provider_message_id=update_id,
                    callback=data,
                )
            )
        if isinstance(query_id, str):
            # The webhook's answer may itself be a Bot API call: stop her button's spinner.
            result.response = JsonResponse(
                {"method": "answerCallbackQuery", "callback_query_id": query_id}
            )
    return result
