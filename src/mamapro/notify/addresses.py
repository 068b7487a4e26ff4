"""Where a delivery goes: her phone (SMS, WhatsApp), her e-mail, her confirmed Telegram chat,
or a staff member's own contact. A malformed address is refused here (`BadAddress`), so it
never reaches a provider.

The worker resolves a whole batch at once: `Book.load(deliveries)` reads the Telegram chats
and staff contacts of the batch in two queries; `Book.address(delivery)` then costs none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from mamapro.notify.models import Channel, Delivery, StaffContact, TelegramLink
from mamapro.people.validators import normalise_phone

# A Telegram chat id is an integer (negative for groups); a private chat is positive.
_CHAT_ID = re.compile(r"-?[0-9]{1,20}")


class BadAddress(Exception):
    """There is no usable address for this channel (the message can never go as it is)."""


def phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except ValidationError:
        raise BadAddress("malformed phone number") from None


def email(raw: str) -> str:
    value = (raw or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        raise BadAddress("malformed e-mail address") from None
    if "\n" in value or "\r" in value:
        raise BadAddress("malformed e-mail address")
    return value


def chat(raw: str) -> str:
    value = (raw or "").strip()
    if not _CHAT_ID.fullmatch(value):
        raise BadAddress("malformed Telegram chat id")
    return value


def by_channel(channel: str, raw: str) -> str:
    if channel in (Channel.SMS, Channel.WHATSAPP):
        return phone(raw)
    if channel == Channel.EMAIL:
        return email(raw)
    if channel == Channel.TELEGRAM:
        return chat(raw)
    raise BadAddress(f"unknown channel {channel!r}")


def telegram_chats(participant_ids: Iterable[int]) -> dict[int, str]:
    """Her confirmed, unrevoked Telegram chat (the newest), by participant id."""
    ids = set(participant_ids)
    if not ids:
        return {}
    chats: dict[int, str] = {}
    links = TelegramLink.objects.filter(
        participant_id__in=ids, confirmed_at__isnull=False, revoked_at__isnull=True
    ).order_by("participant_id", "-confirmed_at", "-id")
    for link in links.only("participant_id", "chat_id"):
        if link.chat_id:
            chats.setdefault(link.participant_id, link.chat_id)
    return chats


@dataclass
class Book:
    """The addresses a batch of deliveries needs, read in constant queries."""

    chats: dict[int, str] = field(default_factory=dict)
    staff: dict[int, StaffContact] = field(default_factory=dict)

    @classmethod
    def load(cls, deliveries: Iterable[Delivery]) -> Book:
        rows = list(deliveries)
        women = {d.participant_id for d in rows if d.participant_id and d.channel == "telegram"}
        staff_ids = {d.user_id for d in rows if d.user_id}
        staff = (
            {c.user_id: c for c in StaffContact.objects.filter(user_id__in=staff_ids)}
            if staff_ids
            else {}
        )
        return cls(chats=telegram_chats(women), staff=staff)

    def address(self, delivery: Delivery) -> str:
        if delivery.user_id:
            contact = self.staff.get(delivery.user_id)
            if contact is None or contact.channel != delivery.channel:
                raise BadAddress("no staff contact on this channel")
            return by_channel(delivery.channel, contact.address)
        participant = delivery.participant
        assert participant is not None
        if delivery.channel == Channel.TELEGRAM:
            raw = self.chats.get(participant.pk)
            if raw is None:
                raise BadAddress("no confirmed Telegram chat")
            return chat(raw)
        if delivery.channel == Channel.EMAIL:
            return email(participant.email)
        return phone(participant.phone)
