"""SMS through Mobizon's HTTP API (v1): send, status by poll and by signed webhook, and the
look-up that resolves a send interrupted by a crash.

Every call is `POST {SMS_API_URL}/service/<module>/<method>?output=json&api=v1&apiKey=…` with
form fields, answered `{"code": 0, "data": …, "message": ""}`. The API key travels in the
query string (as the API requires), so no URL and no provider message is ever logged or
stored; errors name the API code and, for a validation error, only the field names.

Errors: an invalid recipient, an empty or refused text → PermanentError (that message can
never go). A wrong API key (code 8), a method the account may not use (9), a blocked account
(14), an unregistered sender, a wrong domain (13) are the account's configuration, not the
message's: TransientError with a `code` starting "config_", so nothing is lost while an admin
fixes the key; the retries back off to hours meanwhile. HTTP 5xx, timeouts, refused
connections, rate limiting (30) and Mobizon's own faults (3, 10, 15, 999) are transient.

Guarantee after a crash: `find_sent` asks `message/list` for a message to her number with
exactly this text, created since the claim (less `LOOKBACK`, for clock skew). Mobizon writes
times in the account's time zone, `SMS_PROVIDER_TIME_ZONE` (default Asia/Almaty — set it to the
account's zone, or a crashed send may be looked for in the wrong hours and sent twice).

Delivery reports: Mobizon signs `eventId|attempt|eventCreateTs|secret` with SHA-1, which does
not cover the report's data, so a verified report only says "ask about this message": the
status recorded is the one `getSMSStatus` answers (a replayed report cannot invent one).
Mobizon's webhooks carry no inbound SMS, so a STOP by SMS cannot reach us through it.

Settings beyond API.md's: `SMS_RATE_PER_SECOND` (default 10), `SMS_PROVIDER_TIME_ZONE`.
Not thread-safe: one adapter (and its one kept-alive connection) per worker thread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.notify.channels.base import (
    BadSignature,
    NotConfigured,
    Outgoing,
    PermanentError,
    Sent,
    StatusUpdate,
    TransientError,
    WebhookResult,
    discreet_sender,
)
from mamapro.notify.channels.http import HttpAdapter, HttpClient, Response
from mamapro.notify.sms_parts import count
from mamapro.people.validators import normalise_phone

TS_FORMAT = "%Y-%m-%d %H:%M:%S"
LOOKBACK = dt.timedelta(minutes=15)
# Mobizon answers a webhook's 5-second deadline with a retry: the confirming poll must be quick.
WEBHOOK_POLL_TIMEOUT = 3.0
POLL_BATCH = 100  # getSMSStatus takes at most 100 ids

DELIVERED = {"DELIVRD"}
# Final and not delivered (smsStatus.md): never retried by us, a new message would be needed.
FAILED = {"UNDELIV", "REJECTD", "EXPIRED", "DELETED"}

# API codes (apiCode.md) that are the account's configuration, not this message's fault.
CONFIG_CODES = {
    4: "config_module",
    5: "config_method",
    6: "config_format",
    8: "config_auth",
    9: "config_access",
    13: "config_domain",
    14: "config_account_blocked",
}
TRANSIENT_CODES = {
    3: "provider_error",
    10: "provider_busy",
    15: "provider_refused",
    30: "rate_limited",
    999: "provider_error",
}


class MobizonSMS(HttpAdapter):
    channel = "sms"
    provider = "mobizon"
    REQUIRED = ("SMS_API_URL", "SMS_API_KEY")
    BASE_URL_SETTING = "SMS_API_URL"

    def __init__(self) -> None:
        super().__init__()
        self.rate_per_second = float(getattr(settings, "SMS_RATE_PER_SECOND", 10))
        self.zone = ZoneInfo(getattr(settings, "SMS_PROVIDER_TIME_ZONE", "Asia/Almaty"))

    def missing(self) -> list[str]:
        other = [] if settings.SMS_PROVIDER == "mobizon" else ["SMS_PROVIDER"]
        return other + super().missing()

    def status_note(self) -> str:
        """What staff should know beyond "configured" (the channel status page)."""
        if self.configured() and not settings.SMS_WEBHOOK_SECRET:
            return _(
                "SMS_WEBHOOK_SECRET is not set: delivery reports are not accepted, statuses "
                "come from polling only."
            )
        return ""

    # --- sending ----------------------------------------------------------------------------

    def send(self, message: Outgoing) -> Sent:
        recipient = _recipient(message.to)
        if not message.text.strip():
            raise PermanentError("the message text is empty", code="empty_text")
        fields = {"recipient": recipient, "text": message.text}
        sender = discreet_sender(settings.SMS_SENDER, settings.DISCREET_SMS_SENDER, message)
        if sender:
            fields["from"] = sender
        if message.flash:
            # Shown on her screen, saved nowhere on the phone (mclass 0, "flash SMS").
            fields["params[mclass]"] = "0"
        data = self._call("message", "sendSmsMessage", fields)
        # Code 0 means Mobizon took it: even without an id to follow, it must not go again.
        message_id = data.get("messageId") if isinstance(data, Mapping) else None
        return Sent(str(message_id or ""), parts=max(count(message.text).parts, 1))

    def poll(self, provider_message_ids: list[str]) -> list[StatusUpdate]:
        return self._poll(provider_message_ids, self.http())

    def _poll(self, provider_message_ids: list[str], client: HttpClient) -> list[StatusUpdate]:
        ids = [i for i in provider_message_ids if i and i.isdigit()]
        updates: list[StatusUpdate] = []
        for start in range(0, len(ids), POLL_BATCH):
            batch = ids[start : start + POLL_BATCH]
            fields = [(f"ids[{n}]", i) for n, i in enumerate(batch)]
            data = self._call("message", "getSMSStatus", fields, client)
            for item in data if isinstance(data, list) else []:
                update = self._update(
                    item.get("id"), item.get("status"), item.get("statusUpdateTs")
                )
                if update is not None:
                    updates.append(update)
        return updates

    def find_sent(self, message: Outgoing) -> Sent | None:
        recipient = _recipient(message.to)
        since = (message.claimed_at or timezone.now()) - LOOKBACK
        # The campaign's creation time, not startSendTs: a message Mobizon accepted but has
        # not started sending yet has no startSendTs, and must still be found.
        fields = {
            "criteria[to]": recipient,
            "criteria[text]": message.text,
            "criteria[campaignCreateTsFrom]": self._provider_time(since),
            "pagination[pageSize]": "25",
            "pagination[currentPage]": "0",
            "sort[campaignId]": "DESC",
        }
        data = self._call("message", "list", fields)
        items = data.get("items") if isinstance(data, Mapping) else None
        matches = [
            item
            for item in items or []
            if str(item.get("to", "")) == recipient and item.get("text") == message.text
        ]
        if not matches:
            return None
        newest = max(matches, key=lambda item: int(item.get("id") or 0))
        return Sent(str(newest["id"]), parts=int(newest.get("segNum") or 1))

    # --- the delivery-report webhook --------------------------------------------------------

    def parse_webhook(self, request: HttpRequest) -> WebhookResult:
        secret = settings.SMS_WEBHOOK_SECRET
        if not secret or not self.configured():
            raise NotConfigured("SMS_WEBHOOK_SECRET")
        payload = _payload(request)
        sign = payload.get("sign")
        if not isinstance(sign, str) or not sign:
            raise BadSignature("no sign")
        # SHA-1 over "eventId|attempt|eventCreateTs|secretKey" is Mobizon's choice, not ours.
        signed = "|".join(
            [
                _plain(payload.get("eventId")),
                _plain(payload.get("attempt")),
                _plain(payload.get("eventCreateTs")),
                secret,
            ]
        )
        expected = hashlib.sha1(signed.encode("utf-8")).hexdigest()  # noqa: S324
        if not hmac.compare_digest(expected.encode(), sign.strip().lower().encode()):
            raise BadSignature("sign does not match")
        if payload.get("eventType") != "sms-delivery-report":
            return WebhookResult()  # form events: nothing of ours
        data = payload.get("data")
        message_id = str(data.get("messageId", "")) if isinstance(data, Mapping) else ""
        if not message_id.isdigit():
            return WebhookResult()
        # The sign covers the event's id, attempt and time, not its data: someone who saw one
        # report could replay it with another message id or status. So the report is only a
        # nudge: the status recorded is the one Mobizon's API gives for that id now.
        client = HttpClient(settings.SMS_API_URL, timeout=WEBHOOK_POLL_TIMEOUT)
        try:
            return WebhookResult(updates=self._poll([message_id], client))
        finally:
            client.close()

    # --- HTTP -------------------------------------------------------------------------------

    def _call(
        self,
        module: str,
        method: str,
        fields: Mapping[str, str] | Sequence[tuple[str, str]],
        client: HttpClient | None = None,
    ) -> Any:
        query = urlencode({"output": "json", "api": "v1", "apiKey": settings.SMS_API_KEY})
        answer = (client or self.http()).post_form(f"/service/{module}/{method}?{query}", fields)
        return _read(answer, method)

    def _provider_time(self, moment: dt.datetime) -> str:
        return moment.astimezone(self.zone).strftime(TS_FORMAT)

    def _update(self, message_id: object, status: object, at: object) -> StatusUpdate | None:
        if message_id is None or not isinstance(status, str):
            return None
        when = _parse_ts(at, self.zone)
        status = status.upper()
        if status in DELIVERED:
            return StatusUpdate(str(message_id), "delivered", at=when)
        if status in FAILED:
            return StatusUpdate(str(message_id), "failed", error=status, permanent=True, at=when)
        return StatusUpdate(str(message_id), "sent", at=when)


def _recipient(to: str) -> str:
    """Digits only, no "+"; a number that is not a Kazakhstan mobile never reaches Mobizon."""
    try:
        return normalise_phone(to)[1:]
    except ValidationError as exc:
        raise PermanentError("not a valid phone number", code="invalid_recipient") from exc


def _read(answer: Response, method: str) -> Any:
    if answer.status >= 500:
        raise TransientError(f"Mobizon answered HTTP {answer.status}", code="http_5xx")
    if answer.status == 429:
        raise TransientError("Mobizon is rate-limiting", code="rate_limited")
    if answer.status in {401, 403}:
        raise TransientError(
            f"Mobizon refused the account (HTTP {answer.status})", code="config_auth"
        )
    if answer.status != 200:
        # A wrong SMS_API_URL (a 404 from some other server) is configuration too.
        raise TransientError(f"Mobizon answered HTTP {answer.status}", code="config_http")
    try:
        body = answer.json()
        code = int(body["code"])
    except (ValueError, KeyError, TypeError) as exc:
        raise TransientError("Mobizon's answer was not its JSON", code="bad_response") from exc
    data = body.get("data")
    if code in {0, 100}:
        # 100: taken for background execution; the message exists (no id to follow yet).
        return data if code == 0 else {}
    if code in CONFIG_CODES:
        raise TransientError(
            f"Mobizon {method}: API code {code} (account settings)", code=CONFIG_CODES[code]
        )
    if code in TRANSIENT_CODES:
        raise TransientError(f"Mobizon {method}: API code {code}", code=TRANSIENT_CODES[code])
    if code == 1:
        fields = sorted(data) if isinstance(data, Mapping) else []
        named = ", ".join(str(f) for f in fields) or "unknown field"
        if "recipient" in fields:
            raise PermanentError(
                "Mobizon refused the recipient (API code 1)", code="invalid_recipient"
            )
        if "from" in fields:
            raise TransientError(
                "Mobizon refused the sender name: check SMS_SENDER (API code 1)",
                code="config_sender",
            )
        raise PermanentError(f"Mobizon {method}: invalid {named} (API code 1)", code="invalid")
    # 2 (not found), 11 (missing parameters), 12 (a limit), 98/99 (not processed): this request
    # as written can never succeed.
    raise PermanentError(f"Mobizon {method}: API code {code}", code=f"api_{code}")


def _payload(request: HttpRequest) -> dict[str, Any]:
    """JSON (the webhook's "json" format), or form fields for the "raw" one."""
    if request.content_type == "application/json" or request.body[:1] in (b"{", b"["):
        try:
            payload = json.loads(request.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadSignature("not JSON") from exc
        if not isinstance(payload, dict):
            raise BadSignature("not an object")
        return payload
    form = request.POST
    data = {k[5:-1]: v for k, v in form.items() if k.startswith("data[") and k.endswith("]")}
    return {**{k: v for k, v in form.items() if "[" not in k}, "data": data}


def _plain(value: object) -> str:
    """A field as PHP's string concatenation writes it (the sign is computed so)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


# "2026-01-15 11:42:08" (getSMSStatus's page writes "HH-MM-SS": any separators are read).
_TS = re.compile(r"(\d{4})\D(\d{2})\D(\d{2})\D(\d{2})\D(\d{2})\D(\d{2})")


def _parse_ts(value: object, zone: ZoneInfo) -> dt.datetime | None:
    match = _TS.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None
