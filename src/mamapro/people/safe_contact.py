"""The one gate every message to a woman must pass (reminders, offers, surveys, anything).

`decide(participant, channel, at)` says whether the centre may contact her on that channel at
that moment, and if so whether the message must be discreet. The rules, in order:

1. she asked not to be contacted (`no_contact`) → never, on any channel;
2. she has withdrawn (or never given) her consent to the processing of her data → never;
3. the channel is not one she marked safe → never on that channel;
4. a phone call when she said "do not call" → never;
5. the channel has nowhere to go (no e-mail address, no phone) → never on that channel;
6. outside her safe hours (in her centre's time zone; a window may cross midnight) → not
   now; `next_safe_at` says when;
7. otherwise yes — discreet if she asked for it, or if she is a survivor of domestic
   violence (whoever reads her phone must learn nothing).

`compose(decision, kind, language, **details)` writes the message: a discreet one never names
what the centre is for, and `is_discreet(text)` checks exactly that.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamapro.people.models import (
    Circumstance,
    Consent,
    ContactChannel,
    Participant,
    active_consent,
)

# Why a message may not go: stable codes for logs and tests, with a sentence for people.
NO_CONTACT = "no_contact"
NO_CONSENT = "no_consent"
CHANNEL_NOT_SAFE = "channel_not_safe"
NO_CALLS = "no_calls"
NO_ADDRESS = "no_address"
OUTSIDE_SAFE_HOURS = "outside_safe_hours"

REASONS = {
    NO_CONTACT: gettext_lazy("She asked not to be contacted."),
    NO_CONSENT: gettext_lazy("She has not given (or has withdrawn) consent to data processing."),
    CHANNEL_NOT_SAFE: gettext_lazy("She did not mark this channel as safe."),
    NO_CALLS: gettext_lazy("She asked not to be called."),
    NO_ADDRESS: gettext_lazy("There is no address for this channel."),
    OUTSIDE_SAFE_HOURS: gettext_lazy("It is outside her safe hours."),
}
PHONE_CHANNELS = {
    ContactChannel.CALL,
    ContactChannel.SMS,
    ContactChannel.WHATSAPP,
    ContactChannel.TELEGRAM,
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    discreet: bool = False
    # When the only obstacle is the hour: the next moment inside her safe hours.
    next_safe_at: dt.datetime | None = None

    def explain(self) -> str:
        return str(REASONS[self.reason]) if self.reason else ""


def _in_window(t: dt.time, start: dt.time, end: dt.time) -> bool:
    if start == end:
        return True  # a zero-length window would mean "never"; the form refuses it
    if start < end:
        return start <= t < end
    return t >= start or t < end  # crosses midnight: 21:00–08:00


def _next_start(local: dt.datetime, start: dt.time) -> dt.datetime:
    candidate = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def _has_consent(participant: Participant) -> bool:
    return Consent.objects.filter(
        active_consent(), participant=participant, kind=Consent.Kind.DATA_PROCESSING
    ).exists()


def _survivor(participant: Participant) -> bool:
    return (
        Circumstance.objects.filter(participant=participant)
        .of_kind(Circumstance.Kind.DOMESTIC_VIOLENCE)
        .exists()
    )


def decide(
    participant: Participant,
    channel: str,
    at: dt.datetime | None = None,
    *,
    consent: bool | None = None,
    survivor: bool | None = None,
) -> Decision:
    """May the centre contact her on `channel` at `at` (default now)? `consent` and
    `survivor` may be passed when the caller already knows them (a bulk send)."""
    at = at or timezone.now()
    if participant.no_contact:
        return Decision(False, NO_CONTACT)
    if not (consent if consent is not None else _has_consent(participant)):
        return Decision(False, NO_CONSENT)
    if channel not in (participant.contact_channels or []):
        return Decision(False, CHANNEL_NOT_SAFE)
    if channel == ContactChannel.CALL and participant.do_not_call:
        return Decision(False, NO_CALLS)
    if channel == ContactChannel.EMAIL and not participant.email:
        return Decision(False, NO_ADDRESS)
    if channel in PHONE_CHANNELS and not participant.phone:
        return Decision(False, NO_ADDRESS)
    discreet = participant.discreet or (
        survivor if survivor is not None else _survivor(participant)
    )
    start, end = participant.safe_hours_from, participant.safe_hours_to
    if start is not None and end is not None:
        local = at.astimezone(ZoneInfo(participant.centre.timezone))
        if not _in_window(local.time(), start, end):
            return Decision(
                False, OUTSIDE_SAFE_HOURS, discreet, next_safe_at=_next_start(local, start)
            )
    return Decision(True, "", discreet)


# --- Composing the message ------------------------------------------------------------------

# What a discreet message must never contain, in any of our languages (lower case, folded).
REVEALING = (
    "mama pro",
    "mamapro",  # the site's own domain in a link
    "мамапро",
    "мама про",
    "violence",
    "насили",
    "зорлық",
    "абьюз",
    "abuse",
    "кризис",
    "crisis",
    "shelter",
    "убежищ",
    "баспана",
    "psycholog",
    "психолог",
    "special needs",
    "особ",
    "ерекше",
    "инвалид",
    "мүгедек",
    "disab",
    "free seat",
    "бесплатн",
    "тегін",
    "centre for",
    "центр помощи",
    "көмек орталығы",
    "women",
    "женщин",
    "әйелдер",
    "женский центр",
)


# Latin and Cyrillic letters that look alike, folded to one form so that "Mamа Pro" (with a
# Cyrillic "а") is the same text as "Mama Pro".
_LOOK_ALIKE = str.maketrans("аеорсхукмтнвіјѕёәқ", "aeopcxykmthbijseak")


def _skeleton(text: str) -> str:
    """What a reader sees, whatever the characters: NFKC, case folded, invisible characters
    (soft hyphens, zero-width) dropped, punctuation and symbols dropped (so "Mama-Pro" and
    "Mama.Pro" read "mamapro"), spaces collapsed, letters spaced out one by one joined
    ("М а м а" reads "мама"), and look-alike Latin/Cyrillic letters folded to one."""
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf" or category[0] in "PS":
            continue
        kept.append(" " if ch.isspace() else ch)
    tokens = "".join(kept).split()
    merged: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            merged.append("".join(run))
            run = []
        merged.append(token)
    if run:
        merged.append("".join(run))
    return " ".join(merged).translate(_LOOK_ALIKE)


def revealing(text: str, extra: Iterable[str] = ()) -> list[str]:
    """The words of `REVEALING` (and of `extra`: the course's title, the room, the centre's
    name or address of this very message) that `text` says, however it is written."""
    seen = _skeleton(text)
    squashed = seen.replace(" ", "")
    found = []
    for word in (*REVEALING, *(w for w in extra if w and w.strip())):
        skeleton = _skeleton(word)
        if not skeleton:
            continue
        if skeleton in seen or (
            len(skeleton.replace(" ", "")) >= 5 and skeleton.replace(" ", "") in squashed
        ):
            found.append(word)
    return found


def is_discreet(text: str, extra: Iterable[str] = ()) -> bool:
    return not revealing(text, extra)


def subject_words(*phrases: str) -> list[str]:
    """What a discreet message about this subject must not say: each phrase whole, and the
    stem (first six letters) of each of its longer words ("Компьютерная грамотность" →
    "компью", "грамот"), so a declined form is caught too."""
    out: list[str] = []
    for phrase in phrases:
        if not phrase or not phrase.strip():
            continue
        out.append(phrase)
        words = "".join(ch if ch.isalnum() else " " for ch in phrase).split()
        out.extend(w[:6] for w in words if len(w) >= 7)
    return out


def compose(decision: Decision, kind: str, language: str, **details: str) -> str:
    """The text for `kind` ("reminder", "offer"), in her language; discreet when it must be."""
    if not decision.allowed:
        raise ValueError(f"no message may be composed: {decision.reason}")
    with translation.override(language):
        if decision.discreet:
            text = {
                # Translators: a discreet SMS: it must not say what the centre is for.
                "reminder": _("Reminder: %(when)s. Reply STOP to stop these messages."),
                # Translators: a discreet SMS: it must not say what the centre is for.
                "offer": _("A place is free for you until %(until)s. Reply YES to take it."),
            }[kind] % details
            if not is_discreet(text):
                raise ValueError("a discreet message names what the centre is for")
            return text
        return {
            "reminder": _("Mama Pro Centre: %(what)s, %(when)s. Reply STOP to stop reminders."),
            "offer": _(
                "Mama Pro Centre: a seat on %(what)s is yours until %(until)s. Reply YES to "
                "take it."
            ),
        }[kind] % details
