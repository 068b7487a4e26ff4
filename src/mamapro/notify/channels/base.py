"""The one interface every channel adapter implements (SMS, WhatsApp, Telegram, email).

An adapter is the real client of its provider's HTTP API (or SMTP). It knows nothing of
women, consent or templates: the outbox (`notify/outbox.py`) decides who may be written to,
renders the text, and hands the adapter an `Outgoing`; the adapter answers `Sent` or raises
`TransientError` (worth retrying later) or `PermanentError` (never retry: an invalid number,
a bot she blocked, a rejected template). Its base URL and credentials come from settings
(read from the environment; API.md "Messages"); without them `configured()` is False and
`missing()` names the variables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    # Unique per delivery; sent to the provider where its API takes one.
    idempotency_key: str
    # "+77011234567" for SMS and WhatsApp, a chat id for Telegram, an address for email.
    to: str
    text: str
    language: str
    subject: str = ""  # email
    flash: bool = False  # SMS: shown, not saved in the phone's inbox (Mobizon mclass=0)
    # WhatsApp: the approved template and its body parameters (outside the 24-hour window
    # only templates may be sent).
    template_name: str = ""
    template_params: tuple[str, ...] = ()
    # Telegram: an inline keyboard ("Yes, this is me" / "No") as (text, callback data) pairs.
    buttons: tuple[tuple[str, str], ...] = ()
    # When the worker claimed it: the lower bound for looking it up after a crash.
    claimed_at: dt.datetime | None = None
    # A discreet message: the sender's name or address must not name the centre either
    # (DISCREET_SMS_SENDER, DISCREET_FROM_EMAIL).
    discreet: bool = False


@dataclass(frozen=True)
class Sent:
    provider_message_id: str
    parts: int = 1


@dataclass(frozen=True)
class StatusUpdate:
    """What the provider says happened to a message (from a webhook or a poll)."""

    provider_message_id: str
    status: str  # "sent", "delivered" or "failed"
    error: str = ""
    permanent: bool = False
    at: dt.datetime | None = None


@dataclass(frozen=True)
class Inbound:
    """A message she sent us (a reply "STOP", a Telegram "/start <token>", a button press)."""

    sender: str  # "+77011234567" or a Telegram chat id
    text: str
    provider_message_id: str = ""
    at: dt.datetime | None = None
    # Telegram: the callback data of the inline button she pressed.
    callback: str = ""


@dataclass
class WebhookResult:
    updates: list[StatusUpdate] = field(default_factory=list)
    inbound: list[Inbound] = field(default_factory=list)
    # A response the provider expects instead of the default 200 "ok" (WhatsApp's GET
    # verification answers its `hub.challenge`).
    response: HttpResponse | None = None


class ChannelError(Exception):
    permanent: ClassVar[bool] = False

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TransientError(ChannelError):
    """The provider is down, slow, rate-limiting, or answered 5xx: try again later."""


class PermanentError(ChannelError):
    """This message can never go (invalid number, blocked bot, rejected template)."""

    permanent = True


class BadSignature(Exception):
    """A webhook whose signature does not verify: answered 403, nothing changes."""


class NotConfigured(Exception):
    """The channel's variables are not set; nothing can go out on it."""


class Adapter(Protocol):
    channel: str  # "sms", "whatsapp", "telegram", "email"
    provider: str  # "mobizon", "whatsapp_cloud", "telegram_bot", "smtp"
    # Messages per second the provider allows this account (the worker keeps under it).
    rate_per_second: float

    def configured(self) -> bool: ...

    def missing(self) -> list[str]:
        """The environment variables still to set (empty when configured)."""
        ...

    def send(self, message: Outgoing) -> Sent:
        """Send one message; raise TransientError / PermanentError / NotConfigured."""
        ...

    def is_permanent(self, error: Exception) -> bool: ...

    def poll(self, provider_message_ids: list[str]) -> list[StatusUpdate]:
        """Ask the provider for these messages' statuses (fallback to the webhook); an
        adapter whose provider has no status query returns []."""
        ...

    def find_sent(self, message: Outgoing) -> Sent | None:
        """After a crash between sending and recording: did the provider accept this
        message? Sent if it did, None if it certainly did not; raise NotImplementedError
        when the provider offers no way to tell (then the outbox never resends it on its
        own: a duplicate to her phone is worse than a missing one)."""
        ...

    def parse_webhook(self, request: HttpRequest) -> WebhookResult:
        """Verify the provider's signature (raise BadSignature) and read the events."""
        ...


def discreet_sender(default: str, discreet: str, message: Outgoing) -> str:
    """Who the message says it is from. A discreet message takes the discreet sender when one
    is set; a sender that names the centre ("MamaPro", "hello@mamapro.kz") is never used for
    one: the message waits (a configuration error, retried) until an admin sets a neutral one,
    rather than telling whoever reads her phone where she goes."""
    if not message.discreet:
        return default
    from mamapro.people.safe_contact import is_discreet

    sender = discreet or default
    if sender and not is_discreet(sender):
        raise TransientError(
            "the sender's name names the centre; set a neutral DISCREET_SMS_SENDER or "
            "DISCREET_FROM_EMAIL for discreet messages",
            code="config_discreet_sender",
        )
    return sender
