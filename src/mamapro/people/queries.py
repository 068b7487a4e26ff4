"""Reads for the participant pages and the API: scoped, searched, with constant queries."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, TextField, Value, When

from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.core.text import fold
from mamapro.people.models import Child, Participant
from mamapro.people.reach import children_q, within_reach

_PHONE_PUNCTUATION = re.compile(r"[\s()+\-.]")


def search_participants(
    user: User | AnonymousUser, query: str = "", *, centre_id: int | None = None
) -> QuerySet[Participant]:
    """Participants the user may see, matching every word of `query` in any name or phone.

    Matching uses the folded search key (see core.text), so it is case-insensitive for Kazakh
    and Russian letters identically on SQLite and PostgreSQL. Outside the care team a woman
    is found only as rosters show her (her alias, if she chose one) and never by her phone:
    a trainer cannot confirm who a survivor really is by typing her name.

    Only the women the user's work reaches are listed (people/reach.py). Outside the care team
    the list is ordered by what the user sees (the roster key: her alias, if she chose one),
    so where an aliased woman sits in the list never gives away her real family name.
    """
    qs = within_reach(
        perms.scope(
            Participant.objects.select_related("centre"),
            user,
            perms.PARTICIPANT_VIEW,
            only_centre=centre_id,
        ),
        user,
    )
    compact = _PHONE_PUNCTUATION.sub("", query)
    if compact.isdigit():
        # A phone, or part of one, typed any way: "8 747 555" is stored "+7747555…".
        if compact.startswith("8") and len(compact) >= 7:
            compact = "7" + compact[1:]
        words = [compact]
    else:
        words = fold(query).split()[:6]
    me = perms.principal(user)
    care = me.centre_ids_for(perms.PARTICIPANT_VIEW_SENSITIVE)
    in_care = Q() if care is None else Q(centre_id__in=care)
    by_phone = compact.isdigit()
    if by_phone:
        # Only roles that see her phone may find her by it.
        contact = me.centre_ids_for(perms.PARTICIPANT_VIEW_CONTACT)
        qs = qs if contact is None else qs.filter(centre_id__in=contact)
    for word in words:
        if care is None or by_phone:
            qs = qs.filter(search_key__contains=word)
        else:
            qs = qs.filter(
                (in_care & Q(search_key__contains=word)) | (~in_care & Q(roster_key__contains=word))
            )
    # The care team sorts (and ranks) by her real names, everyone else by what they see.
    if care is None:
        sort_key: Any = F("search_key")
    elif not care:
        sort_key = F("roster_key")
    else:
        sort_key = Case(
            When(in_care, then=F("search_key")),
            default=F("roster_key"),
            output_field=TextField(),
        )
    # Her children the user reaches (a tutor: those booked in her room), not all of them.
    reached = children_q(user)
    children_count = (
        Count("children")
        if reached is None
        else Count("children", filter=Q(children__in=Child.objects.filter(reached)))
    )
    qs = qs.annotate(children_count=children_count, sort_key=sort_key)
    if words:
        # Any part of a name matches; names that start with the first word come first.
        qs = qs.annotate(
            rank=Case(
                When(sort_key__contains=" " + words[0], then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("rank", "sort_key", "id")
    else:
        # The folded key sorts Kazakh letters beside their Russian look-alikes (Ізбасарова
        # after Ибрагимова, not before Ахметова as raw code points would), on both databases.
        qs = qs.order_by("sort_key", "id")
    return qs
