"""Whom a role's work reaches: the rows of women and children it may see at all.

`core.permissions.scope` limits a user to her centres; this limits her within them. The care
team (coordinators, the director) and the manager (fees need every payer) reach every woman of
their centres. The other roles that hold `participant.view` or `child.view` reach only what
their work brings them: a trainer the women of her own runs, a tutor the children booked in her
room and their mothers, a psychologist her own clients. Those rules live in the apps above
`people` (programs, kidsroom, counselling), which register them here in `AppConfig.ready`, so
`people` never imports them. A role with no registered rule reaches nobody: when unsure, hide.

A rule returns a `Q` over `Participant` (or `Child`) of the form `Q(pk__in=<subquery>)`, so a
filter never duplicates rows and a page still runs a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from mamapro.core import permissions as perms
from mamapro.core.models import User

Rule = Callable[[User], Q]
_PARTICIPANT_RULES: dict[str, list[Rule]] = {}
_CHILD_RULES: dict[str, list[Rule]] = {}

# Roles holding one of these reach every woman (or child) of their centres.
_WHOLE_CENTRE_PARTICIPANTS = (perms.PARTICIPANT_VIEW_SENSITIVE, perms.PARTICIPANT_VIEW_CONTACT)
_WHOLE_CENTRE_CHILDREN = (perms.CHILD_EDIT, perms.CHILD_ADULTS_VIEW_RESTRICTED)
_NOBODY = Q(pk__in=[])


def register_participants(role: str, rule: Rule) -> Rule:
    """`rule(user)`: the women `user`, holding `role`, reaches through her work."""
    rules = _PARTICIPANT_RULES.setdefault(role, [])
    if rule not in rules:
        rules.append(rule)
    return rule


def register_children(role: str, rule: Rule) -> Rule:
    """`rule(user)`: the children `user`, holding `role`, reaches through her work."""
    rules = _CHILD_RULES.setdefault(role, [])
    if rule not in rules:
        rules.append(rule)
    return rule


def _reach(
    user: User | AnonymousUser,
    whole_centre: tuple[str, ...],
    rules: dict[str, list[Rule]],
) -> Q | None:
    """None: every row of the user's centres (no limit beyond `scope`)."""
    if not isinstance(user, User):
        return _NOBODY
    me = perms.principal(user)
    terms: list[Q] = []
    for centre_id, role in me.roles.items():
        capabilities = perms.CAPABILITIES[role]
        if any(c in capabilities for c in whole_centre):
            if centre_id is None:
                return None
            terms.append(Q(centre_id=centre_id))
            continue
        for rule in rules.get(role, ()):
            here = rule(user)
            terms.append(here if centre_id is None else here & Q(centre_id=centre_id))
    if not terms:
        return _NOBODY
    combined = terms[0]
    for term in terms[1:]:
        combined |= term
    return combined


def participants_q(user: User | AnonymousUser) -> Q | None:
    return _reach(user, _WHOLE_CENTRE_PARTICIPANTS, _PARTICIPANT_RULES)


def children_q(user: User | AnonymousUser) -> Q | None:
    return _reach(user, _WHOLE_CENTRE_CHILDREN, _CHILD_RULES)


M = TypeVar("M", bound=Model)


def within_reach(queryset: QuerySet[M], user: User | AnonymousUser) -> QuerySet[M]:
    """`queryset` (of Participant or Child) limited to what the user's work reaches."""
    from mamapro.people.models import Child, Participant

    if queryset.model is Participant:
        q = participants_q(user)
    elif queryset.model is Child:
        q = children_q(user)
    else:
        raise TypeError(f"No reach rules for {queryset.model.__name__}")
    return queryset if q is None else queryset.filter(q)


def adults_within_reach(queryset: QuerySet[M], user: User | AnonymousUser) -> QuerySet[M]:
    """`queryset` of ChildAdult limited to the adults around children the user reaches."""
    from mamapro.people.models import Child

    q = children_q(user)
    return queryset if q is None else queryset.filter(child__in=Child.objects.filter(q))


def get_for_user(
    queryset: QuerySet[M], user: User | AnonymousUser, capability: str, **lookup: Any
) -> M:
    """`perms.get_for_user` within the user's reach: a woman (or child) her work does not
    reach is a 404, exactly like one of another centre, so existence never leaks."""
    from mamapro.people.models import ChildAdult

    if queryset.model is ChildAdult:
        queryset = adults_within_reach(queryset, user)
    else:
        queryset = within_reach(queryset, user)
    return perms.get_for_user(queryset, user, capability, **lookup)
