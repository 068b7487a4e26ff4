"""A local WhatsApp Cloud API: `POST /<version>/<phone-number-id>/messages` with a bearer
token, answered as Graph API does (`{"messaging_product": "whatsapp", "contacts": [...],
"messages": [{"id": "wamid.…"}]}`, or `{"error": {"message", "type", "code", "error_data",
"fbtrace_id"}}`), taking only template messages of the templates it was told are approved.

    with FakeWhatsApp(templates={"reminder_v1": 2}) as wa:
        with override_settings(**wa.settings()):
            ...

It records what it accepted (number, template, language, parameters), and can be told to
fail: the next N calls answer an error code (131026, 130429, 190…) or 5xx. It also builds the
webhooks Meta would post — statuses (in any order) and her replies — signed with
`X-Hub-Signature-256` for the Django test client (`wa.signed(payload)`) or a live server
(`wa.post_webhook(url, payload)`), and the GET subscription check's query.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mamapro.notify.fakes.server import Answer, LocalServer, post

TOKEN = "fake-whatsapp-access-token"  # noqa: S105 (a fake's own)
PHONE_ID = "106540352242922"
APP_SECRET = "fake-whatsapp-app-secret"  # noqa: S105 (a fake's own)
VERIFY_TOKEN = "fake-whatsapp-verify-token"  # noqa: S105 (a fake's own)
VERSION = "v21.0"

# The HTTP status Graph API answers with each error code (400 unless named).
STATUS_OF = {190: 401, 130429: 429, 131056: 429, 1: 500, 2: 503, 131000: 500}
TITLES = {
    190: "Access token has expired",
    130429: "Rate limit hit",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
    131000: "Something went wrong",
}


@dataclass(frozen=True)
class FakeWhatsAppMessage:
    id: str
    to: str  # digits, as the request gave them
    template: str
    language: str
    params: tuple[str, ...]


@dataclass
class _Faults:
    codes: list[int] = field(default_factory=list)
    http_failures: list[int] = field(default_factory=list)


class FakeWhatsApp(LocalServer):
    def __init__(
        self,
        *,
        templates: Mapping[str, int] | None = None,
        languages: tuple[str, ...] = ("kk", "ru", "en"),
        token: str = TOKEN,
        phone_id: str = PHONE_ID,
        app_secret: str = APP_SECRET,
        verify_token: str = VERIFY_TOKEN,
    ) -> None:
        """`templates`: approved template name → number of body parameters (None: any name
        and any count is approved)."""
        super().__init__()
        self.templates = dict(templates) if templates is not None else None
        self.languages = languages
        self.token = token
        self.phone_id = phone_id
        self.app_secret = app_secret
        self.verify_token = verify_token
        self._messages: list[FakeWhatsAppMessage] = []
        self._requests: list[dict[str, Any]] = []
        self._faults = _Faults()
        self._ids = itertools.count(1)
        self._inbound_ids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"{self.root}/{VERSION}"

    def settings(self) -> dict[str, str]:
        return {
            "WHATSAPP_API_URL": self.url,
            "WHATSAPP_TOKEN": self.token,
            "WHATSAPP_PHONE_ID": self.phone_id,
            "WHATSAPP_APP_SECRET": self.app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.verify_token,
        }

    @property
    def messages(self) -> list[FakeWhatsAppMessage]:
        with self.lock:
            return list(self._messages)

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self._requests)

    def duplicates(self) -> int:
        seen = Counter((m.to, m.template, m.params) for m in self.messages)
        return sum(n - 1 for n in seen.values() if n > 1)

    # --- faults -----------------------------------------------------------------------------

    def error_next(self, code: int, n: int = 1) -> None:
        """The next `n` sends answer this Graph API error code."""
        with self.lock:
            self._faults.codes += [code] * n

    def fail_next(self, n: int = 1, *, status: int = 502) -> None:
        """The next `n` requests answer this HTTP status with an HTML page (a proxy)."""
        with self.lock:
            self._faults.http_failures += [status] * n

    # --- the API ----------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        try:
            payload = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            payload = None
        with self.lock:
            self._requests.append(payload if isinstance(payload, dict) else {})
            if self._faults.http_failures:
                status = self._faults.http_failures.pop(0)
                return status, b"<html><body>Bad Gateway</body></html>", "text/html"
            if headers.get("authorization") != f"Bearer {self.token}":
                return _error(190, "Invalid OAuth access token - Cannot parse access token")
            if self._faults.codes:
                return _error(self._faults.codes.pop(0))
        if method != "POST" or path.split("?", 1)[0] != f"/{VERSION}/{self.phone_id}/messages":
            return _error(100, "Unsupported post request.", status=400)
        if not isinstance(payload, dict):
            return _error(100, "Invalid parameter", details="The request body is not JSON.")
        return self._send(payload)

    def _send(self, payload: dict[str, Any]) -> Answer:
        if payload.get("messaging_product") != "whatsapp":
            return _error(100, "Invalid parameter", details="messaging_product is required")
        to = payload.get("to")
        if not isinstance(to, str) or not to.isdigit():
            return _error(100, "Invalid parameter", details="Param to must be a phone number")
        if payload.get("type") != "template":
            # Outside her 24-hour window only a template may open the conversation.
            return _error(131047)
        template = payload.get("template") or {}
        name = str(template.get("name", ""))
        language = (template.get("language") or {}).get("code")
        params: list[str] = []
        for component in template.get("components") or []:
            if component.get("type") == "body":
                params += [str(p.get("text", "")) for p in component.get("parameters", [])]
        if self.templates is not None and (
            name not in self.templates or language not in self.languages
        ):
            return _error(132001, details=f"template name ({name}) does not exist in {language}")
        if self.templates is not None and len(params) != self.templates[name]:
            return _error(
                132000,
                details=f"body: number of localizable_params ({len(params)}) does not match "
                f"the expected number of params ({self.templates[name]})",
            )
        with self.lock:
            message_id = f"wamid.FAKE{next(self._ids):012d}"
            self._messages.append(
                FakeWhatsAppMessage(message_id, to, str(name), str(language), tuple(params))
            )
        body = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": message_id, "message_status": "accepted"}],
        }
        return 200, json.dumps(body).encode(), "application/json"

    # --- webhooks to our site ---------------------------------------------------------------

    def status(
        self, message_id: str, status: str, *, code: int | None = None, timestamp: int = 0
    ) -> dict[str, Any]:
        """One entry of `statuses[]` ("sent", "delivered", "read", "failed" with `code`)."""
        sent = next((m for m in self.messages if m.id == message_id), None)
        raw: dict[str, Any] = {
            "id": message_id,
            "status": status,
            "timestamp": str(timestamp or 1_790_000_000),
            "recipient_id": sent.to if sent else "77010000000",
        }
        if code is not None:
            raw["errors"] = [
                {
                    "code": code,
                    "title": TITLES.get(code, "Error"),
                    "message": TITLES.get(code, "Error"),
                    "error_data": {"details": TITLES.get(code, "Error")},
                }
            ]
        return raw

    def text_message(self, sender: str, text: str, *, message_id: str = "") -> dict[str, Any]:
        """One entry of `messages[]`: a text she sent from `sender` ("77011234567")."""
        return {
            "from": sender.removeprefix("+"),
            "id": message_id or f"wamid.IN{next(self._inbound_ids):012d}",
            "timestamp": "1790000000",
            "type": "text",
            "text": {"body": text},
        }

    def notification(
        self,
        *,
        statuses: Sequence[dict[str, Any]] = (),
        messages: Sequence[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """The webhook body Meta posts for the `messages` field."""
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "77270000000", "phone_number_id": self.phone_id},
        }
        if statuses:
            value["statuses"] = list(statuses)
        if messages:
            value["contacts"] = [{"profile": {"name": "А"}, "wa_id": m["from"]} for m in messages]
            value["messages"] = list(messages)
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}
            ],
        }

    def sign(self, body: bytes, *, secret: str | None = None) -> str:
        key = (self.app_secret if secret is None else secret).encode()
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    def signed(
        self, payload: dict[str, Any], *, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The raw body and headers for the Django test client (`data=body, headers=...`)."""
        body = json.dumps(payload).encode()
        return body, {"X-Hub-Signature-256": self.sign(body, secret=secret)}

    def verification(
        self, *, token: str | None = None, challenge: str = "1158201444"
    ) -> dict[str, str]:
        """The query of Meta's GET subscription check."""
        return {
            "hub.mode": "subscribe",
            "hub.verify_token": self.verify_token if token is None else token,
            "hub.challenge": challenge,
        }

    def post_webhook(
        self, webhook_url: str, payload: dict[str, Any], *, secret: str | None = None
    ) -> tuple[int, bytes]:
        body, headers = self.signed(payload, secret=secret)
        return post(webhook_url, body, {"Content-Type": "application/json", **headers})


def _error(code: int, message: str = "", *, details: str = "", status: int | None = None) -> Answer:
    title = TITLES.get(code, "Error")
    error = {
        "message": f"(#{code}) {message or title}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or title},
        "fbtrace_id": "AbCdEfGhIjK",
    }
    return (
        status or STATUS_OF.get(code, 400),
        json.dumps({"error": error}).encode(),
        "application/json",
    )
