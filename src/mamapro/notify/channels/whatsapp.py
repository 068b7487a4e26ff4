"""WhatsApp, through Meta's Cloud API (https://developers.facebook.com/docs/whatsapp/cloud-api).

Sending: `POST {WHATSAPP_API_URL}/{WHATSAPP_PHONE_ID}/messages` with the bearer token and
`{"messaging_product": "whatsapp", "to": <digits>, "type": "template", "template": {"name",
"language": {"code"}, "components": [{"type": "body", "parameters": [...]}]}}`. Only approved
templates: the centre writes first (outside her 24-hour window), and Meta refuses free text
there. The answer carries `messages[0].id` (a "wamid."), the id its status webhooks name.

Permanent errors (never retried) — her number or our template is wrong, and retrying cannot
fix it: 131026 undeliverable (not on WhatsApp, or she blocked us), 131047 re-engagement (free
text outside the window), 131021/131030 recipient refused, 131051 unsupported type,
132000–132016 template parameters, missing, paused or disabled, 100/131008/131009 invalid
parameters, 470. Everything else is transient: 130429 throughput and 131056 pair rate limits,
131048 spam limit, 131049 Meta holding it back for now, 131000/1/2 its own trouble, 5xx and
the network — and 190 (the access token expired) with other account trouble
(0, 10, 200–299, 368, 131031, 131042, 133010): a configuration error an administrator fixes;
the message waits meanwhile rather than being lost (its code names the cause).

Statuses arrive by webhook only and out of order (`read` may come before `delivered`):
`sent`, `delivered`, `read` (counted as delivered) and `failed` become `StatusUpdate`s; the
outbox keeps the highest. The Cloud API has no status query (`poll` returns []) and no way
to look a message up (`find_sent` raises NotImplementedError: a message in doubt is never
resent on its own).

Webhook (`GET|POST /hooks/whatsapp`): a POST is verified by `X-Hub-Signature-256: sha256=` +
HMAC-SHA256 of the raw body under `WHATSAPP_APP_SECRET`, compared in constant time; the GET
subscription check answers `hub.challenge` only when `hub.mode=subscribe` and
`hub.verify_token` is ours. Her replies (`messages[]`: text, or the button of a template)
become `Inbound` from her number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

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
from mamapro.people.validators import normalise_phone

REQUIRED = (
    "WHATSAPP_TOKEN",
    "WHATSAPP_PHONE_ID",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
)
SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"
# Our languages → the template language codes they are approved under in WhatsApp Manager.
LANGUAGE_CODES = {"kk": "kk", "ru": "ru", "en": "en"}

PERMANENT_CODES = frozenset(
    {
        100,  # invalid parameter
        470,  # (on-premises legacy) re-engagement
        131008,  # required parameter missing
        131009,  # parameter value not valid
        131021,  # recipient cannot be the sender
        131026,  # message undeliverable
        131030,  # recipient not in the allowed list (test number)
        131047,  # re-engagement message: free text outside the 24-hour window
        131051,  # unsupported message type
        132000,  # template parameter count mismatch
        132001,  # template does not exist (in this language)
        132005,  # translated text too long
        132007,  # template format character policy violated
        132012,  # template parameter format mismatch
        132015,  # template paused
        132016,  # template disabled
    }
)
# Statuses in the order a message lives them; "read" is delivered (and seen).
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "delivered", "failed": "failed"}


class WhatsAppCloud(HttpAdapter):
    channel = "whatsapp"
    provider = "whatsapp_cloud"
    REQUIRED = REQUIRED
    BASE_URL_SETTING = "WHATSAPP_API_URL"

    def __init__(self) -> None:
        super().__init__()
        # The Cloud API's default throughput is 80 messages a second per number; stay below.
        self.rate_per_second = float(getattr(settings, "WHATSAPP_RATE_PER_SECOND", 20.0))

    # --- sending ----------------------------------------------------------------------------

    def send(self, message: Outgoing) -> Sent:
        client = self.http()
        try:
            to = normalise_phone(message.to).removeprefix("+")
        except ValidationError:
            raise PermanentError("not a valid phone number", code="bad_address") from None
        if not message.template_name:
            raise PermanentError(
                "no approved WhatsApp template for this message", code="no_template"
            )
        language = LANGUAGE_CODES.get(message.language)
        if language is None:
            raise PermanentError(
                f"no WhatsApp template language for {message.language!r}", code="language"
            )
        template: dict[str, Any] = {"name": message.template_name, "language": {"code": language}}
        if message.template_params:
            template["components"] = [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": p} for p in message.template_params],
                }
            ]
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": template,
        }
        answer = client.post_json(
            f"/{settings.WHATSAPP_PHONE_ID}/messages",
            payload,
            headers={"Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"},
        )
        try:
            data = answer.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TransientError(f"WhatsApp answered HTTP {answer.status}", code="http")
        if answer.status < 300 and "error" not in data:
            messages = data.get("messages")
            if isinstance(messages, list) and messages and isinstance(messages[0], dict):
                return Sent(provider_message_id=str(messages[0].get("id", "")))
            # Accepted without an id: it is out; a retry would be a second copy.
            return Sent(provider_message_id="")
        raise _error(answer.status, data.get("error"))

    def poll(self, provider_message_ids: list[str]) -> list[StatusUpdate]:
        # The Cloud API reports statuses by webhook only; there is nothing to ask.
        return []

    def find_sent(self, message: Outgoing) -> Sent | None:
        raise NotImplementedError("the WhatsApp Cloud API cannot look a message up")

    # --- webhook ----------------------------------------------------------------------------

    def parse_webhook(self, request: HttpRequest) -> WebhookResult:
        if request.method == "GET":
            return WebhookResult(response=_verification(request))
        secret = settings.WHATSAPP_APP_SECRET
        header = request.META.get(SIGNATURE_HEADER, "")
        if not secret or not header.startswith("sha256="):
            raise BadSignature("X-Hub-Signature-256 is missing")
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(
            header.removeprefix("sha256=").lower().encode(), expected.encode()
        ):
            raise BadSignature("X-Hub-Signature-256 does not match")
        try:
            payload = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return WebhookResult()
        return read_notification(payload)


def _verification(request: HttpRequest) -> HttpResponse:
    token = settings.WHATSAPP_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if (
        not token
        or request.GET.get("hub.mode") != "subscribe"
        or not hmac.compare_digest(given.encode(), token.encode())
    ):
        raise BadSignature("hub.verify_token does not match")
    challenge = request.GET.get("hub.challenge", "")
    return HttpResponse(challenge, content_type="text/plain")


def error_is_permanent(code: Any) -> bool:
    return code in PERMANENT_CODES or (isinstance(code, int) and 132000 <= code <= 132099)


def _error(status: int, error: Any) -> Exception:
    if not isinstance(error, dict):
        if status >= 500 or status == 429:
            return TransientError(f"WhatsApp answered HTTP {status}", code="http")
        return TransientError(f"WhatsApp answered HTTP {status} without an error", code="http")
    code = error.get("code")
    # The message names the error ("(#131026) Message Undeliverable"), never her number.
    text = str(error.get("message", ""))[:200]
    details = error.get("error_data", {})
    if isinstance(details, dict) and details.get("details"):
        text = f"{text}: {str(details['details'])[:150]}"
    if error_is_permanent(code):
        return PermanentError(text or f"WhatsApp error {code}", code=str(code))
    if code == 190:
        return TransientError(f"the access token is refused: {text}", code="190")
    return TransientError(text or f"WhatsApp error {code}", code=str(code))


def _at(unix: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(unix), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _values(payload: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        return
    for entry in payload["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in _list(changes):
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                yield value


def _status(raw: Any) -> StatusUpdate | None:
    if not isinstance(raw, dict):
        return None
    status = STATUSES.get(str(raw.get("status", "")))
    message_id = raw.get("id")
    if status is None or not isinstance(message_id, str) or not message_id:
        return None
    error, permanent = "", False
    if status == "failed":
        errors = raw.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        code = first.get("code") if isinstance(first, dict) else None
        title = str(first.get("title", "") if isinstance(first, dict) else "")[:200]
        error = f"{code}: {title}" if code is not None else title
        permanent = error_is_permanent(code)
    return StatusUpdate(
        provider_message_id=message_id,
        status=status,
        error=error,
        permanent=permanent,
        at=_at(raw.get("timestamp")),
    )


def _text(message: dict[str, Any]) -> str | None:
    kind = message.get("type")
    if kind == "text" and isinstance(message.get("text"), dict):
        return str(message["text"].get("body", ""))
    if kind == "button" and isinstance(message.get("button"), dict):
        # A template's quick-reply button: what it says is what she answered.
        return str(message["button"].get("text", ""))
    if kind == "interactive" and isinstance(message.get("interactive"), dict):
        reply = message["interactive"].get("button_reply")
        if isinstance(reply, dict):
            return str(reply.get("title", ""))
    return None


def _inbound(message: Any) -> Inbound | None:
    if not isinstance(message, dict):
        return None
    sender, message_id = message.get("from"), message.get("id")
    text = _text(message)
    if not isinstance(sender, str) or not sender.isdigit() or not isinstance(message_id, str):
        return None
    if text is None:
        return None
    return Inbound(
        sender=f"+{sender}",
        text=text,
        provider_message_id=message_id,
        at=_at(message.get("timestamp")),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def read_notification(payload: Any) -> WebhookResult:
    """The statuses and her messages in one webhook notification (any number of entries)."""
    result = WebhookResult()
    for value in _values(payload):
        for raw in _list(value.get("statuses")):
            update = _status(raw)
            if update is not None:
                result.updates.append(update)
        for raw in _list(value.get("messages")):
            inbound = _inbound(raw)
            if inbound is not None:
                result.inbound.append(inbound)
    return result
