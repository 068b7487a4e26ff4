"""What she sends us: STOP/СТОП/ТОҚТАТ turns that channel off (her wish, audited); a
Telegram `/start <token>` and her confirmation link her chat.

Called by the webhook view after the provider's signature was verified. Each message is
handled once per provider message id (the `InboundMessage` unique constraint: a provider that
retries, or two webhook deliveries racing, act once), in its own transaction.

Who sent it: SMS and WhatsApp by her phone — she may be registered at two centres, and a
STOP then acts on each record; Telegram by the blind digest of the chat id her linked chat
holds. An unknown sender's message is kept (encrypted) without a participant and ignored.

STOP (also "stop.", "Стоп!", "/stop", "токтат" typed without Kazakh letters): the channel
leaves her `contact_channels` (audited with no actor, `{"event": "stopped_by_reply"}`), her
queued and waiting messages on it are cancelled ("channel_not_safe"), a Telegram link is
revoked — and nothing is sent back. She asked for silence on that channel; a confirmation
would be one more message on a phone someone else may read (and an SMS she pays nothing
for but we do). Staff see the change on her page; the next message she gets from us, if any,
is on another channel she marked safe.

Any other text is stored (encrypted) and ignored: no one reads replies yet, and a keyword
we do not know never changes anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from mamapro.core import audit
from mamapro.core.crypto import blind_q
from mamapro.core.models import AuditEntry
from mamapro.notify import telegram_links
from mamapro.notify.channels.base import Inbound
from mamapro.notify.models import Channel, Delivery, InboundMessage, TelegramLink
from mamapro.people import safe_contact
from mamapro.people.models import Participant
from mamapro.people.validators import normalise_phone

STOP_WORDS = frozenset(
    {"stop", "/stop", "стоп", "тоқтат", "токтат", "тоқтату", "тоқтатыңыз", "отписаться"}
)
_PUNCTUATION = re.compile(r"[^\w/]+")


def is_stop(text: str) -> bool:
    """Does the message begin with a stop word (any case, any punctuation around it)? "СТОП",
    "stop!!", and "Стоп, не пишите мне больше" in her own words all stop: she asked once,
    and a woman who meant something else can be asked again by her coordinator, while a
    message that keeps coming to a phone someone else reads cannot be taken back."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = [w for w in _PUNCTUATION.split(folded) if w]
    return bool(words) and words[0] in STOP_WORDS


def _senders(channel: str, sender: str) -> list[Participant]:
    """Every record this sender is (one per centre), erased ones left out."""
    if channel == Channel.TELEGRAM:
        ids = TelegramLink.objects.filter(
            blind_q("chat_digest", "telegram_chat", sender), revoked_at__isnull=True
        ).values_list("participant_id", flat=True)
        found = Participant.objects.filter(pk__in=list(ids))
    else:
        try:
            phone = normalise_phone(sender)
        except ValidationError:
            return []
        found = Participant.objects.filter(phone=phone)
    return list(found.filter(erased_at__isnull=True).order_by("pk"))


def _stop(channel: str, women: list[Participant]) -> None:
    ids = [w.pk for w in women]
    for her in Participant.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        channels = list(her.contact_channels or [])
        changed = channel in channels
        if changed:
            channels.remove(channel)
            her.contact_channels = channels
            her.save(update_fields=["contact_channels", "updated_at"])
        audit.record(
            AuditEntry.Action.UPDATE,
            her,
            fields=["contact_channels"] if changed else [],
            details={"event": "stopped_by_reply", "channel": channel},
            actor=None,
        )
    Delivery.objects.filter(
        participant_id__in=ids,
        channel=channel,
        status__in=[Delivery.Status.QUEUED, Delivery.Status.WAITING],
    ).update(status=Delivery.Status.CANCELLED, reason=safe_contact.CHANNEL_NOT_SAFE)
    if channel == Channel.TELEGRAM:
        telegram_links.revoke_links(ids, timezone.now())


def _stored_text(message: Inbound) -> str:
    if message.callback:
        return f"[button] {message.callback}"
    if message.text.startswith("/start"):
        # The token is a key: never kept, not even encrypted.
        return "/start …"
    return message.text


def _act(channel: str, message: Inbound, row: InboundMessage) -> str:
    if channel == Channel.TELEGRAM and message.callback:
        telegram_links.answer_later(telegram_links.answer_button(message.sender, message.callback))
        return "link"
    command, _space, argument = message.text.strip().partition(" ")
    if channel == Channel.TELEGRAM and command.split("@", 1)[0] == "/start":
        telegram_links.answer_later(telegram_links.start(message.sender, argument.strip()))
        return "link"
    women = _senders(channel, message.sender)
    if women:
        row.participant = women[0]
        row.centre_id = women[0].centre_id
    if women and is_stop(message.text):
        _stop(channel, women)
        return "stop"
    return "ignored"


def _handle_one(channel: str, message: Inbound) -> str:
    """What was done with this message: "stop", "link", "ignored", or "" for a repeat."""
    key = message.provider_message_id
    row = InboundMessage(
        channel=channel,
        provider_message_id=key,
        text=_stored_text(message),
        received_at=message.at or timezone.now(),
    )
    try:
        with transaction.atomic():
            # The row first: a twin being handled by another request holds the unique key,
            # so this one waits for it and then stops here, having changed nothing.
            row.save()
            row.action = _act(channel, message, row)
            row.save(update_fields=["action", "participant", "centre"])
    except IntegrityError:
        return ""
    return row.action


def handle(channel: str, messages: Sequence[Inbound]) -> int:
    """Act on inbound messages (once per provider message id). Returns how many acted on."""
    acted = 0
    # Authenticated by the provider's signature, and her wish must be on record in full:
    # not an anonymous visitor's event counted against a per-address limit.
    with audit.acting_as(None, via=f"{channel}_reply"):
        for message in messages:
            if _handle_one(channel, message) in ("stop", "link"):
                acted += 1
    return acted
