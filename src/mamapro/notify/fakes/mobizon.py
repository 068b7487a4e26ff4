"""A local Mobizon: a threaded HTTP/1.1 server on 127.0.0.1 that answers the three methods the
SMS adapter uses (`message/sendSmsMessage`, `message/getSMSStatus`, `message/list`) with the
JSON envelope, API codes and statuses of Mobizon's published API (v1), and signs delivery
reports the way its webhooks do.

    with FakeMobizon() as sms:
        with override_settings(SMS_API_URL=sms.url, SMS_API_KEY=sms.api_key, ...):
            ...
        assert sms.duplicates() == 0

It records every request and every message it accepted (so a test or the benchmark can count
what reached "her phone" and spot a duplicate), and can be told to fail: the next N requests
answer HTTP 5xx, the next N API calls answer a given API code, one number is refused as an
invalid recipient, every answer waits a while. Keep-alive is on (the benchmark's provider).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from mamapro.notify.fakes.server import Answer, LocalServer, post
from mamapro.notify.sms_parts import count

API_KEY = "fake-mobizon-key"
WEBHOOK_SECRET = "fake-mobizon-webhook-secret"  # noqa: S105 (a test secret)
TS_FORMAT = "%Y-%m-%d %H:%M:%S"
# Mobizon's statuses that are final (smsStatus.md).
FINAL = {"DELIVRD", "UNDELIV", "REJECTD", "EXPIRED", "DELETED"}


@dataclass(frozen=True)
class FakeSms:
    """One message the fake accepted, as its `message/list` shows it."""

    id: int
    campaign_id: int
    to: str
    text: str
    sender: str
    params: dict[str, str]
    created: dt.datetime  # the provider's local time, naive (as its API writes times)
    status: str = "ACCEPTD"
    status_updated: dt.datetime | None = None

    @property
    def flash(self) -> bool:
        return self.params.get("mclass") == "0"

    @property
    def seg_num(self) -> int:
        return max(count(self.text).parts, 1)


@dataclass(frozen=True)
class FakeRequest:
    method: str
    path: str  # lower case, e.g. "/service/message/sendsmsmessage"
    params: dict[str, str]  # query and form fields together, the API key left out


@dataclass
class _Faults:
    http_failures: int = 0
    http_status: int = 503
    codes: list[tuple[int, Any, str]] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)
    delay: float = 0.0


class FakeMobizon(LocalServer):
    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        webhook_secret: str = WEBHOOK_SECRET,
        time_zone: str = "Asia/Almaty",
        sender: str = "MamaPro",
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.zone = ZoneInfo(time_zone)
        self.sender = sender
        self._messages: dict[int, FakeSms] = {}
        self._requests: list[FakeRequest] = []
        self._faults = _Faults()
        self._ids = itertools.count(169_275_418)
        self._events = itertools.count(1)

    @property
    def url(self) -> str:
        return self.root

    def settings(self) -> dict[str, str]:
        """The settings that point the production adapter here (for override_settings)."""
        return {
            "SMS_PROVIDER": "mobizon",
            "SMS_API_URL": self.url,
            "SMS_API_KEY": self.api_key,
            "SMS_SENDER": self.sender,
            # A neutral name for discreet messages, as a careful production account has.
            "DISCREET_SMS_SENDER": "Info",
            "SMS_WEBHOOK_SECRET": self.webhook_secret,
        }

    # --- what it saw ------------------------------------------------------------------------

    @property
    def messages(self) -> list[FakeSms]:
        with self.lock:
            return sorted(self._messages.values(), key=lambda m: m.id)

    @property
    def requests(self) -> list[FakeRequest]:
        with self.lock:
            return list(self._requests)

    @property
    def sends(self) -> list[FakeRequest]:
        return [r for r in self.requests if r.path.endswith("/sendsmsmessage")]

    def duplicates(self) -> int:
        """Messages accepted more than once (same number, same text): what must stay 0."""
        seen = Counter((m.to, m.text) for m in self.messages)
        return sum(n - 1 for n in seen.values() if n > 1)

    def reset(self) -> None:
        with self.lock:
            self._messages.clear()
            self._requests.clear()
            self._faults = _Faults()

    # --- faults -----------------------------------------------------------------------------

    def fail_next(self, n: int = 1, *, status: int = 503) -> None:
        """The next `n` requests answer this HTTP status (a proxy's HTML page, no JSON)."""
        with self.lock:
            self._faults.http_failures, self._faults.http_status = n, status

    def answer_next(self, code: int, *, data: Any = None, message: str = "", n: int = 1) -> None:
        """The next `n` API calls answer this API code (e.g. 8 login error, 30 rate limit)."""
        with self.lock:
            self._faults.codes.extend([(code, data, message)] * n)

    def reject_recipient(self, digits: str) -> None:
        """sendSmsMessage to this number answers code 1, a validation error on `recipient`."""
        with self.lock:
            self._faults.rejected.add(digits)

    def slow(self, seconds: float) -> None:
        with self.lock:
            self._faults.delay = seconds

    # --- statuses and webhooks --------------------------------------------------------------

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.zone).replace(tzinfo=None, microsecond=0)

    def set_status(self, message_id: int | str, status: str) -> FakeSms:
        with self.lock:
            sms = replace(self._messages[int(message_id)], status=status, status_updated=self.now())
            self._messages[sms.id] = sms
            return sms

    def report(
        self,
        message_id: int | str,
        status: str = "DELIVRD",
        *,
        attempt: int = 1,
        secret: str | None = None,
    ) -> dict[str, Any]:
        """A signed `sms-delivery-report` webhook body, as Mobizon posts it (the message takes
        that status here too, so a poll agrees). An id it never issued gets a report too: a
        provider may report a message our database does not know."""
        try:
            sms: FakeSms | None = self.set_status(message_id, status)
        except KeyError:
            sms = None
        event_id = next(self._events)
        created = self.now().strftime(TS_FORMAT)
        sign = signature(
            event_id, attempt, created, self.webhook_secret if secret is None else secret
        )
        return {
            "eventId": event_id,
            "eventType": "sms-delivery-report",
            "eventCreateTs": created,
            "webhookId": 1,
            "attempt": attempt,
            "data": {
                "campaignId": sms.campaign_id if sms else 0,
                "messageId": int(message_id),
                "segNum": sms.seg_num if sms else 1,
                "statusUpdateTs": created,
                "status": status,
                "to": sms.to if sms else "",
            },
            "sign": sign,
        }

    def post_report(self, webhook_url: str, message_id: int | str, status: str = "DELIVRD") -> int:
        """POST a signed delivery report to a running site; returns its HTTP status."""
        body = json.dumps(self.report(message_id, status)).encode()
        answer, _body = post(webhook_url, body, {"Content-Type": "application/json"})
        return answer

    # --- the API ----------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        parts = urlsplit(path)
        params: dict[str, str] = {}
        indexed = Counter[str]()
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        for key, value in pairs:
            if key.endswith("[]"):  # ids[]=1&ids[]=2, as PHP clients send arrays
                base = key[:-2]
                key = f"{base}[{indexed[base]}]"
                indexed[base] += 1
            params[key] = value
        return self._api_call(method, parts.path.lower(), params)

    def _api_call(self, method: str, path: str, params: dict[str, str]) -> Answer:
        with self.lock:
            shown = {k: v for k, v in params.items() if k != "apiKey"}
            self._requests.append(FakeRequest(method, path, shown))
            faults = self._faults
            delay = faults.delay
            if faults.http_failures:
                faults.http_failures -= 1
                status = faults.http_status
                page = f"<html><body><h1>{status}</h1></body></html>".encode()
                return status, page, "text/html"
        if delay:
            time.sleep(delay)
        if params.get("apiKey") != self.api_key:
            return _api(8, [], "Authorization failed: invalid API key.")
        with self.lock:
            if self._faults.codes:
                code, data, message = self._faults.codes.pop(0)
                return _api(code, data if data is not None else [], message)
        method_name = path.rsplit("/", 1)[-1]
        if method_name == "sendsmsmessage":
            return self._send(params)
        if method_name == "getsmsstatus":
            return self._status(params)
        if method_name == "list" and path.endswith("/message/list"):
            return self._list(params)
        return _api(5, [], "Unknown method.")

    def _send(self, params: dict[str, str]) -> Answer:
        recipient = params.get("recipient", "")
        text = params.get("text", "")
        errors = {}
        if not re.fullmatch(r"\d{11,15}", recipient) or recipient in self._faults.rejected:
            errors["recipient"] = "The recipient's number is not valid."
        if not text:
            errors["text"] = "The message text is empty."
        if errors:
            return _api(1, errors, "Validation error.")
        extra = {k[7:-1]: v for k, v in params.items() if k.startswith("params[")}
        with self.lock:
            sms_id = next(self._ids)
            sms = FakeSms(
                id=sms_id,
                campaign_id=sms_id + 76_180_000,
                to=recipient,
                text=text,
                sender=params.get("from", "") or self.sender,
                params=extra,
                created=self.now(),
            )
            self._messages[sms_id] = sms
        return _api(0, {"campaignId": sms.campaign_id, "messageId": sms.id, "status": 2})

    def _status(self, params: dict[str, str]) -> Answer:
        ids = _ids(params)
        if not ids:
            return _api(2, [], "No message identifiers given.")
        if len(ids) > 100:
            return _api(12, [], "At most 100 identifiers per request.")
        with self.lock:
            found = [self._messages[i] for i in ids if i in self._messages]
        return _api(
            0,
            [
                {
                    "id": m.id,
                    "status": m.status,
                    "segNum": m.seg_num,
                    "startSendTs": m.created.strftime(TS_FORMAT),
                    "statusUpdateTs": (m.status_updated or m.created).strftime(TS_FORMAT),
                }
                for m in found
            ],
        )

    def _list(self, params: dict[str, str]) -> Answer:
        to = params.get("criteria[to]", "")
        text = params.get("criteria[text]")
        since = {
            key: dt.datetime.strptime(params[f"criteria[{key}]"], TS_FORMAT)
            for key in ("campaignCreateTsFrom", "startSendTsFrom")
            if params.get(f"criteria[{key}]")
        }
        with self.lock:
            found = [
                m
                for m in self._messages.values()
                if to in m.to
                and (text is None or m.text == text)
                and all(m.created >= since_ts for since_ts in since.values())
            ]
        found.sort(key=lambda m: m.id, reverse=params.get("sort[campaignId]") == "DESC")
        size = int(params.get("pagination[pageSize]") or 25)
        page = int(params.get("pagination[currentPage]") or 0)
        items = [
            {
                "id": m.id,
                "campaignId": m.campaign_id,
                "segNum": m.seg_num,
                "segUserBuy": 0.0,
                "from": m.sender,
                "to": m.to,
                "text": m.text,
                "status": m.status,
                "startSendTs": m.created.strftime(TS_FORMAT),
                "statusUpdateTs": (m.status_updated or m.created).strftime(TS_FORMAT),
            }
            for m in found[page * size : (page + 1) * size]
        ]
        return _api(0, {"items": items, "totalItemCount": len(found)})


def signature(event_id: object, attempt: object, created: str, secret: str) -> str:
    """Mobizon's webhook `sign`: SHA-1 of "eventId|attempt|eventCreateTs|secretKey"."""
    signed = f"{event_id}|{attempt}|{created}|{secret}"
    return hashlib.sha1(signed.encode()).hexdigest()  # noqa: S324 (Mobizon's algorithm)


def _api(code: int, data: Any, message: str = "") -> Answer:
    body = json.dumps({"code": code, "data": data, "message": message}, ensure_ascii=False)
    return 200, body.encode("utf-8"), "application/json; charset=utf-8"


def _ids(params: dict[str, str]) -> list[int]:
    raw = [v for k, v in params.items() if k == "ids" or re.fullmatch(r"ids\[\d*\]", k)]
    out = []
    for value in raw:
        out += [int(p) for p in value.split(",") if p.strip().isdigit()]
    return out
