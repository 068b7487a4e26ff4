"""Linking her Telegram chat: a single-use deep link, her confirmation in the chat, and the
bot's answers while she links.

1. A coordinator presses "Link Telegram" on her page: `create_link` makes a random token
   (192 bits), stores only its SHA-256, and shows `https://t.me/<bot>?start=<token>` once;
   it works for 15 minutes. Any earlier link of hers is revoked, and Telegram leaves her
   safe channels until she confirms the new chat (the old one may be a lost phone).
2. She opens it; Telegram sends the bot `/start <token>` (webhook → `inbound.handle` →
   `start`): a valid token records her chat id (encrypted; a blind digest finds it again)
   and marks the link used, and the bot asks her — in her language, discreetly — whether
   this is her own Telegram, with two buttons.
3. Only "Yes" (`answer_button`) makes Telegram a safe channel: it joins her
   `contact_channels`, audited as her own wish. "No" revokes the link and forgets the chat.

Expired, used, revoked or unknown tokens get one neutral sentence and change nothing.

The bot's answers here are the ONE exception to "every message goes through the outbox"
(`reply_in_chat`, the only caller of an adapter's `send` outside `notify/sender.py`): the
outbox may only write on a channel she marked safe, and this chat is not one yet — it is
being asked. What makes the exception safe: an answer goes only to the chat that wrote to
the bot a moment ago (never later, never queued, never to a chat we chose), only after the
change is committed, its words are the same discreet sentences for everyone (they pass
`safe_contact.is_discreet`; nothing names the centre or her), and a woman who asked not to
be contacted or has no consent on record gets only the neutral sentence — her link is not
opened. Outside her safe hours the answer still goes: she is holding the phone and writing
to the bot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mamapro.core import audit
from mamapro.core.errors import Conflict, Refused
from mamapro.core.models import AuditEntry, User
from mamapro.notify.channels.base import ChannelError, NotConfigured, Outgoing
from mamapro.notify.channels.telegram import TelegramBot
from mamapro.notify.models import Channel, TelegramLink
from mamapro.people import safe_contact
from mamapro.people.models import Participant

logger = logging.getLogger(__name__)

LIFETIME = dt.timedelta(minutes=15)
# After opening the link she has a day to press "Yes"; later, a coordinator makes a new one.
CONFIRM_WITHIN = dt.timedelta(days=1)
TOKEN_BYTES = 24  # 192 bits; token_urlsafe gives 32 characters of Telegram's start alphabet
# What Telegram allows in a deep link's start parameter.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_BUTTON = re.compile(r"link:(yes|no):([0-9]{1,12})")
# Gate reasons that do not stop linking: the chat is not a safe channel yet (that is what
# linking is for), and the hour (she is writing to the bot right now).
_LINKABLE = {"", safe_contact.CHANNEL_NOT_SAFE, safe_contact.OUTSIDE_SAFE_HOURS}


@dataclass(frozen=True)
class NewLink:
    link: TelegramLink
    url: str  # shown once, never stored


@dataclass(frozen=True)
class Reply:
    """What the bot answers in the chat that just wrote to it."""

    chat_id: str
    text: str
    buttons: tuple[tuple[str, str], ...] = ()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def deep_link(token: str) -> str:
    return f"https://t.me/{settings.TELEGRAM_BOT_NAME}?start={token}"


def state(link: TelegramLink | None, now: dt.datetime | None = None) -> str:
    """ "linked", "waiting" (she opened it, not yet confirmed), "given" (not opened yet) or
    "none", for her page."""
    now = now or timezone.now()
    if link is None or link.revoked_at is not None:
        return "none"
    if link.confirmed_at is not None:
        return "linked"
    if link.used_at is not None:
        return "waiting" if link.used_at + CONFIRM_WITHIN > now else "none"
    return "given" if link.expires_at > now else "none"


def revoke_links(participant_ids: list[int], now: dt.datetime) -> int:
    """Her links stop working and their chats are forgotten (a revoked chat is never
    written to again, so there is no reason to keep it)."""
    return TelegramLink.objects.filter(
        participant_id__in=participant_ids, revoked_at__isnull=True
    ).update(revoked_at=now, chat_id="", chat_digest=None)


def _may_link(participant: Participant, now: dt.datetime) -> safe_contact.Decision:
    return safe_contact.decide(participant, Channel.TELEGRAM, now)


def _set_telegram(participant: Participant, on: bool) -> bool:
    channels = list(participant.contact_channels or [])
    if (Channel.TELEGRAM in channels) == on:
        return False
    if on:
        channels.append(Channel.TELEGRAM)
    else:
        channels.remove(Channel.TELEGRAM)
    participant.contact_channels = channels
    participant.save(update_fields=["contact_channels", "updated_at"])
    return True


# --- the coordinator's side ------------------------------------------------------------------


@transaction.atomic
def create_link(
    participant: Participant, actor: User | None, *, now: dt.datetime | None = None
) -> NewLink:
    """A new single-use link for her (earlier ones revoked); the URL is returned once."""
    now = now or timezone.now()
    bot = TelegramBot()
    if not bot.configured():
        raise Conflict(
            _("Telegram is not set up: %(names)s must be set.")
            % {"names": ", ".join(bot.missing())}
        )
    participant = (
        Participant.objects.select_for_update().select_related("centre").get(pk=participant.pk)
    )
    if participant.erased_at is not None:
        raise Conflict(_("Her data was erased; nothing can be added to this record."))
    decision = _may_link(participant, now)
    if decision.reason not in _LINKABLE:
        raise Refused(decision.explain())
    revoked = revoke_links([participant.pk], now)
    if _set_telegram(participant, on=False):
        # Her old chat stops being safe until she confirms the new one.
        audit.record(
            AuditEntry.Action.UPDATE,
            participant,
            fields=["contact_channels"],
            details={"event": "telegram_relinked", "channel": Channel.TELEGRAM},
            actor=actor,
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = TelegramLink.objects.create(
        centre_id=participant.centre_id,
        participant=participant,
        token_hash=token_hash(token),
        expires_at=now + LIFETIME,
        created_by=actor,
        created_at=now,
    )
    audit.record(
        AuditEntry.Action.CREATE,
        link,
        details={"event": "telegram_link_created", "revoked": revoked},
        actor=actor,
    )
    return NewLink(link=link, url=deep_link(token))


# --- her side, in the chat -------------------------------------------------------------------


def _neutral(chat_id: str, language: str = "") -> Reply:
    with translation.override(language or settings.LANGUAGE_CODE):
        # Translators: the Telegram bot's answer to a link that is expired, used or unknown;
        # it must not say what the centre is for.
        return Reply(chat_id, _("This link does not work any more. Please ask for a new one."))


def _question(chat_id: str, link: TelegramLink) -> Reply:
    with translation.override(link.participant.language):
        return Reply(
            chat_id,
            # Translators: the Telegram bot asks her to confirm the chat; it must not say
            # what the centre is for (someone else may read her phone).
            _("Hello! Is this your own Telegram, and may we send you short messages here?"),
            (
                (pgettext("telegram button", "Yes"), f"link:yes:{link.pk}"),
                (pgettext("telegram button", "No"), f"link:no:{link.pk}"),
            ),
        )


def _same_chat(link: TelegramLink, chat_id: str) -> bool:
    return bool(link.chat_id) and hmac.compare_digest(link.chat_id.encode(), chat_id.encode())


def start(chat_id: str, token: str, *, now: dt.datetime | None = None) -> Reply | None:
    """`/start <token>` from a chat. Call inside the transaction that records the message."""
    now = now or timezone.now()
    if not token:
        return None  # someone found the bot by its name: nothing to answer
    if not _TOKEN.fullmatch(token):
        return _neutral(chat_id)
    link = (
        TelegramLink.objects.select_for_update()
        .select_related("participant__centre")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None:
        return _neutral(chat_id)
    language = link.participant.language
    if link.revoked_at is not None or link.confirmed_at is not None:
        return _neutral(chat_id, language)
    if link.used_at is not None:
        # The same chat opening its own link again (our question was lost): ask again.
        if _same_chat(link, chat_id) and state(link, now) == "waiting":
            return _question(chat_id, link)
        return _neutral(chat_id, language)
    if link.expires_at <= now:
        return _neutral(chat_id, language)
    her = link.participant
    if her.erased_at is not None or _may_link(her, now).reason not in _LINKABLE:
        return _neutral(chat_id, language)
    link.used_at = now
    link.chat_id = chat_id
    link.save(update_fields=["used_at", "chat_id", "chat_digest"])
    audit.record(
        AuditEntry.Action.UPDATE,
        link,
        fields=["chat_id"],
        details={"event": "telegram_link_opened"},
        actor=None,
    )
    return _question(chat_id, link)


def answer_button(chat_id: str, data: str, *, now: dt.datetime | None = None) -> Reply | None:
    """Her "Yes" or "No" under our question. Call inside the transaction recording it."""
    now = now or timezone.now()
    match = _BUTTON.fullmatch(data)
    if match is None:
        return None
    choice, link_id = match.groups()
    link = (
        TelegramLink.objects.select_for_update()
        .select_related("participant__centre")
        .filter(pk=int(link_id))
        .first()
    )
    # Button data can be forged by a modified client: the link must be this chat's own.
    if link is None or not _same_chat(link, chat_id) or state(link, now) != "waiting":
        return None
    her = (
        Participant.objects.select_for_update().select_related("centre").get(pk=link.participant_id)
    )
    link.participant = her
    if choice == "no":
        link.revoked_at = now
        link.chat_id = ""
        link.save(update_fields=["revoked_at", "chat_id", "chat_digest"])
        audit.record(
            AuditEntry.Action.UPDATE,
            link,
            fields=["chat_id"],
            details={"event": "telegram_declined_by_her"},
            actor=None,
        )
        with translation.override(her.language):
            # Translators: the Telegram bot after she pressed "No".
            return Reply(chat_id, _("All right. Nothing will be sent here."))
    if her.erased_at is not None or _may_link(her, now).reason not in _LINKABLE:
        return _neutral(chat_id, her.language)
    link.confirmed_at = now
    link.save(update_fields=["confirmed_at"])
    _set_telegram(her, on=True)
    # Her wish, in her own hand: no staff member is the actor.
    audit.record(
        AuditEntry.Action.UPDATE,
        her,
        fields=["contact_channels"],
        details={
            "event": "telegram_confirmed_by_her",
            "channel": Channel.TELEGRAM,
            "link": link.pk,
        },
        actor=None,
    )
    with translation.override(her.language):
        # Translators: the Telegram bot after she pressed "Yes"; discreet.
        return Reply(chat_id, _("Thank you. Messages will come here. Send STOP to stop them."))


def answer_later(reply: Reply | None) -> None:
    """Send `reply` once the transaction that decided it has committed (not at all if it
    rolls back: an answer must never describe a change that did not happen)."""
    if reply is not None:
        transaction.on_commit(lambda: reply_in_chat(reply))


def reply_in_chat(reply: Reply) -> bool:
    """The bot's answer, sent directly through the Telegram adapter (see the module
    docstring for why this is the one exception to the outbox). True when it went."""
    if not safe_contact.is_discreet(reply.text):
        raise ValueError("a linking answer must not name what the centre is for")
    message = Outgoing(
        delivery_id=0,
        idempotency_key="",
        to=reply.chat_id,
        text=reply.text,
        language="",
        buttons=reply.buttons,
    )
    try:
        TelegramBot().send(message)
    except (ChannelError, NotConfigured) as exc:
        # Never the chat or the text in a log. She can open her link again to be asked again.
        logger.warning("Telegram linking answer not sent: %s", type(exc).__name__)
        return False
    return True
