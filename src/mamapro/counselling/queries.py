"""Finding a woman to book: by her exact phone or her exact full name, never from a list.

A psychologist reaches her own clients only (`access.clients_q`). To book a new one she types
what the woman told her: her phone, or her full name (family and given name, with or without
the patronymic, in either order). No partial match, no listing: a near miss, a woman of
another centre and nobody at all answer the same "no one found". The answer names a woman
only as the psychologist may see her (her roster alias, if she chose one) and carries a
signed token for the booking form, so a booking cannot name a woman by a guessed id.
Every search is audited, without the words typed (a keyed digest of them instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.models import AuditEntry, User
from mamapro.core.text import fold
from mamapro.people.models import Participant
from mamapro.people.validators import normalise_phone

# Two women of one centre may share a name; more answers than this would be a list.
MOST_FOUND = 3
QUERY_MAX = 100
_SIGNED_AS = "counselling.book-found-client"
TOKEN_MAX_AGE = 2 * 60 * 60  # the booking form stays open a while on her phone
_PHONE_LIKE = re.compile(r"[\d\s()+\-.\u00a0]+")


@dataclass(frozen=True)
class Search:
    kind: str  # "phone", "name" or "" (neither: nothing is looked up)
    key: str  # the normalised phone or folded name words
    found: list[Participant]
    # More women share the name than an answer may list: ask for her phone instead.
    too_many: bool = False


def bookable(user: User) -> QuerySet[Participant]:
    """Women of the centres where she practises (not erased): whom she may book at all."""
    qs = Participant.objects.filter(erased_at__isnull=True).select_related("centre")
    return perms.scope(qs, user, perms.COUNSELLING_PRACTISE)


def _name_words(*parts: str) -> list[str]:
    return sorted(fold(" ".join(p for p in parts if p)).split())


def _by_name(qs: QuerySet[Participant], words: list[str]) -> list[Participant]:
    # The folded search key narrows the rows in the database; the exact comparison is here.
    for word in set(words):
        qs = qs.filter(search_key__contains=f" {word}")
    wanted = sorted(words)
    out = []
    for p in qs.order_by("id")[:50]:
        if wanted in (
            _name_words(p.family_name, p.given_name),
            _name_words(p.family_name, p.given_name, p.patronymic),
        ):
            out.append(p)
    return out


def find(user: User, query: str) -> Search:
    """The women of her centres whose phone or full name is exactly `query`; audited."""
    text = (query or "").strip()[:QUERY_MAX]
    if not text:
        return Search(kind="", key="", found=[])  # nothing asked, nothing to record
    qs = bookable(user)
    found: list[Participant] = []
    if _PHONE_LIKE.fullmatch(text):
        try:
            key = normalise_phone(text)
        except ValidationError:
            key = ""
        kind = "phone"
        if key:
            found = list(qs.filter(phone=key).order_by("id")[: MOST_FOUND + 1])
    else:
        words = fold(text).split()[:6]
        kind, key = ("name", " ".join(sorted(words))) if len(words) >= 2 else ("", "")
        if key:
            found = _by_name(qs, words)
    too_many = len(found) > MOST_FOUND
    if too_many:
        found = []
    _audit(user, kind, key, found)
    return Search(kind=kind, key=key, found=found, too_many=too_many)


def _audit(user: User, kind: str, key: str, found: list[Participant]) -> None:
    details = {
        "counselling_search": kind or "unusable",
        "found": len(found),
        # Which words were typed, provable later by whoever knows them, readable by nobody;
        # under the audit key, which outlives a rotation of the data keys.
        "digest": audit.digest(key) if key else "",
    }
    events = [
        audit.event_for(AuditEntry.Action.READ_SENSITIVE, p, fields=("found",), details=details)
        for p in found
    ] or [audit.event_for(AuditEntry.Action.READ_SENSITIVE, None, details=details)]
    audit.record_events(events, actor=user)


def token_for(user: User, participant: Participant) -> str:
    return signing.dumps({"p": participant.pk, "u": user.pk}, salt=_SIGNED_AS, compress=True)


def from_token(user: User, token: str) -> Participant | None:
    """The woman a search found for this user, or None (forged, stale, someone else's)."""
    try:
        data = signing.loads(token, salt=_SIGNED_AS, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        return None
    pk = data.get("p")
    return bookable(user).filter(pk=pk).first() if isinstance(pk, int) else None
