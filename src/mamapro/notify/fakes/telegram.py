"""A local Telegram Bot API: `POST /bot<token>/<method>` with JSON, answered with the Bot
API's envelope (`{"ok": true, "result": …}` or `{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}`), for `sendMessage`, `answerCallbackQuery`, `setWebhook`
and `getMe`.

    with FakeTelegram() as tg:
        with override_settings(**tg.settings()):
            ...
        assert [m.text for m in tg.messages] == [...]

It records every message it accepted (chat, text, `protect_content`, buttons) and can be told
to fail: a chat that blocked the bot (403), a chat it never saw (400 chat not found), the next
N calls answer 5xx or 429 with `retry_after`. It also builds the updates Telegram would post
to our webhook (her message, her button) with the secret header, for the Django test client
(`tg.update_headers()`) or for a live server (`tg.post_update(url, update)`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mamapro.notify.fakes.server import Answer, LocalServer, post

TOKEN = "123456789:fake-telegram-bot-token"  # noqa: S105 (a fake's own)
BOT_NAME = "MamaProTestBot"
WEBHOOK_SECRET = "fake-telegram-webhook-secret"  # noqa: S105 (a fake's own)


@dataclass(frozen=True)
class FakeTelegramMessage:
    chat_id: int
    message_id: int
    text: str
    protect_content: bool
    # (text, callback_data) of each inline button, row after row.
    buttons: tuple[tuple[str, str], ...]
    link_preview_disabled: bool


@dataclass
class _Faults:
    failures: list[tuple[int, str, int | None]] = field(default_factory=list)
    blocked: dict[int, str] = field(default_factory=dict)
    unknown: set[int] = field(default_factory=set)


class FakeTelegram(LocalServer):
    def __init__(
        self,
        *,
        token: str = TOKEN,
        bot_name: str = BOT_NAME,
        webhook_secret: str = WEBHOOK_SECRET,
    ) -> None:
        super().__init__()
        self.token = token
        self.bot_name = bot_name
        self.webhook_secret = webhook_secret
        self._messages: list[FakeTelegramMessage] = []
        self._requests: list[tuple[str, dict[str, Any]]] = []
        self._faults = _Faults()
        self._message_ids: Counter[int] = Counter()
        self._updates = itertools.count(700_000_001)
        self._callbacks = itertools.count(1)
        # What setWebhook was last given (url, secret_token, allowed_updates).
        self.webhook: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return self.root

    def settings(self) -> dict[str, str]:
        return {
            "TELEGRAM_API_URL": self.url,
            "TELEGRAM_BOT_TOKEN": self.token,
            "TELEGRAM_BOT_NAME": self.bot_name,
            "TELEGRAM_WEBHOOK_SECRET": self.webhook_secret,
        }

    # --- what it saw ------------------------------------------------------------------------

    @property
    def messages(self) -> list[FakeTelegramMessage]:
        with self.lock:
            return list(self._messages)

    @property
    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        """(method, JSON body) of every call, in order."""
        with self.lock:
            return list(self._requests)

    def to(self, chat_id: int | str) -> list[FakeTelegramMessage]:
        return [m for m in self.messages if m.chat_id == int(chat_id)]

    def duplicates(self) -> int:
        seen = Counter((m.chat_id, m.text) for m in self.messages)
        return sum(n - 1 for n in seen.values() if n > 1)

    # --- faults -----------------------------------------------------------------------------

    def block(self, chat_id: int | str, *, why: str = "bot was blocked by the user") -> None:
        """She blocked the bot (or "user is deactivated"): 403 Forbidden."""
        with self.lock:
            self._faults.blocked[int(chat_id)] = why

    def forget(self, chat_id: int | str) -> None:
        """A chat the bot never saw: 400 Bad Request: chat not found."""
        with self.lock:
            self._faults.unknown.add(int(chat_id))

    def fail_next(self, n: int = 1, *, status: int = 502, description: str = "Bad Gateway") -> None:
        with self.lock:
            self._faults.failures += [(status, description, None)] * n

    def rate_limit_next(self, n: int = 1, *, retry_after: int = 7) -> None:
        with self.lock:
            self._faults.failures += [
                (429, f"Too Many Requests: retry after {retry_after}", retry_after)
            ] * n

    # --- the API ----------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        prefix, _slash, name = path.split("?", 1)[0].rpartition("/")
        try:
            payload = json.loads(body.decode("utf-8")) if body else {}
        except (UnicodeDecodeError, ValueError):
            payload = None
        with self.lock:
            self._requests.append((name, payload if isinstance(payload, dict) else {}))
            if prefix != f"/bot{self.token}":
                return _error(401, "Unauthorized")
            if self._faults.failures:
                status, description, retry_after = self._faults.failures.pop(0)
                return _error(status, description, retry_after)
        if method != "POST" or not isinstance(payload, dict):
            return _error(400, "Bad Request: invalid JSON body")
        if name == "sendMessage":
            return self._send(payload)
        if name == "answerCallbackQuery":
            if not payload.get("callback_query_id"):
                return _error(400, "Bad Request: query is too old and response timeout expired")
            return _ok(True)
        if name == "setWebhook":
            secret = str(payload.get("secret_token", ""))
            if not payload.get("url", "").startswith("https://"):
                return _error(
                    400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
                )
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                return _error(400, "Bad Request: secret token contains unallowed characters")
            with self.lock:
                self.webhook = dict(payload)
            return _ok(True)
        if name == "getMe":
            return _ok({"id": 123456789, "is_bot": True, "username": self.bot_name})
        return _error(404, "Not Found")

    def _send(self, payload: dict[str, Any]) -> Answer:
        chat = payload.get("chat_id")
        text = payload.get("text")
        if not isinstance(chat, int):
            return _error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        buttons: list[tuple[str, str]] = []
        markup = payload.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = str(button.get("callback_data", ""))
                    if not 1 <= len(data.encode()) <= 64:
                        return _error(400, "Bad Request: BUTTON_DATA_INVALID")
                    buttons.append((str(button.get("text", "")), data))
        preview = payload.get("link_preview_options")
        with self.lock:
            if chat in self._faults.blocked:
                return _error(403, f"Forbidden: {self._faults.blocked[chat]}")
            if chat in self._faults.unknown:
                return _error(400, "Bad Request: chat not found")
            self._message_ids[chat] += 1
            message = FakeTelegramMessage(
                chat_id=chat,
                message_id=self._message_ids[chat],
                text=text,
                protect_content=payload.get("protect_content") is True,
                buttons=tuple(buttons),
                link_preview_disabled=isinstance(preview, dict)
                and preview.get("is_disabled") is True,
            )
            self._messages.append(message)
        return _ok(
            {
                "message_id": message.message_id,
                "chat": {"id": chat, "type": "private"},
                "date": 1_790_000_000,
                "text": text,
            }
        )

    # --- updates to our webhook -------------------------------------------------------------

    def message_update(
        self, chat_id: int | str, text: str, *, chat_type: str = "private"
    ) -> dict[str, Any]:
        """An Update carrying a text she sent the bot ("/start <token>", "STOP")."""
        chat = int(chat_id)
        with self.lock:
            self._message_ids[chat] += 1
            message_id = self._message_ids[chat]
        return {
            "update_id": next(self._updates),
            "message": {
                "message_id": message_id,
                "from": {"id": chat, "is_bot": False, "first_name": "А", "language_code": "ru"},
                "chat": {"id": chat, "type": chat_type, "first_name": "А"},
                "date": 1_790_000_000,
                "text": text,
            },
        }

    def callback_update(
        self, chat_id: int | str, data: str, *, message_id: int | None = None
    ) -> dict[str, Any]:
        """An Update for an inline button she pressed (under the bot's last message to her)."""
        chat = int(chat_id)
        if message_id is None:
            sent = self.to(chat)
            message_id = sent[-1].message_id if sent else 1
        return {
            "update_id": next(self._updates),
            "callback_query": {
                "id": str(4_382_000_000_000_000 + next(self._callbacks)),
                "from": {"id": chat, "is_bot": False, "first_name": "А"},
                "message": {
                    "message_id": message_id,
                    "chat": {"id": chat, "type": "private"},
                    "date": 1_790_000_000,
                    "text": "…",
                },
                "chat_instance": "-5012345678901234567",
                "data": data,
            },
        }

    def blocked_update(self, chat_id: int | str) -> dict[str, Any]:
        """The Update Telegram sends when she blocks the bot (`my_chat_member`, "kicked")."""
        chat = int(chat_id)
        return {
            "update_id": next(self._updates),
            "my_chat_member": {
                "chat": {"id": chat, "type": "private", "first_name": "А"},
                "from": {"id": chat, "is_bot": False, "first_name": "А"},
                "date": 1_790_000_000,
                "old_chat_member": {"status": "member", "user": {"id": 123456789, "is_bot": True}},
                "new_chat_member": {
                    "status": "kicked",
                    "until_date": 0,
                    "user": {"id": 123456789, "is_bot": True},
                },
            },
        }

    def update_headers(self, secret: str | None = None) -> dict[str, str]:
        """The header Telegram sends with each update (for the test client's `headers=`)."""
        return {
            "X-Telegram-Bot-Api-Secret-Token": self.webhook_secret if secret is None else secret
        }

    def post_update(
        self, webhook_url: str, update: dict[str, Any], *, secret: str | None = None
    ) -> tuple[int, bytes]:
        """POST an update to a running site, as Telegram does."""
        headers = {"Content-Type": "application/json", **self.update_headers(secret)}
        return post(webhook_url, json.dumps(update).encode(), headers)


def _ok(result: Any) -> Answer:
    return 200, json.dumps({"ok": True, "result": result}).encode(), "application/json"


def _error(status: int, description: str, retry_after: int | None = None) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, json.dumps(body).encode(), "application/json"
