"""Who may see and do what: the one place that decides.

A staff member holds one role per centre (the director's role spans every centre). Each role
grants a set of capabilities; a capability is checked against the centre that owns the
object. Querysets are scoped here to the centres where the user holds the capability, and the
access helpers answer 404 to outsiders (so existence never leaks) and 403 to a user of that
centre whose role lacks the right.

Views and API operations declare their rule with `@rule(...)`; a test enumerates every URL
pattern and API operation and fails on one without a rule.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from mamapro.core.models import User

PUBLIC = "public"
AUTHENTICATED = "authenticated"


class Role(models.TextChoices):
    DIRECTOR = "director", _("Director")
    COORDINATOR = "coordinator", _("Project coordinator")
    MANAGER = "manager", _("Internal manager")
    COMMS = "comms", _("Communications manager")
    TRAINER = "trainer", _("Trainer")
    TUTOR = "tutor", _("Kids' room tutor")
    PSYCHOLOGIST = "psychologist", _("Psychologist")


# Capabilities. "view" is the basic record (names, language, status); contact details, the
# sensitive fields (DV circumstance, IIN, address, restricted adults) and a child's needs card
# are separate so that each role sees only what its work needs.
CENTRE_VIEW = "centre.view"
PARTICIPANT_VIEW = "participant.view"
PARTICIPANT_VIEW_CONTACT = "participant.view_contact"
PARTICIPANT_VIEW_SENSITIVE = "participant.view_sensitive"
PARTICIPANT_EDIT = "participant.edit"
PARTICIPANT_VERIFY = "participant.verify_eligibility"
# Her rights over her data: a full export (coordinators, the director), erasure (the director).
PARTICIPANT_EXPORT = "participant.export"
PARTICIPANT_ERASE = "participant.erase"
CHILD_VIEW = "child.view"
CHILD_VIEW_NEEDS = "child.view_needs"
CHILD_EDIT = "child.edit"
CHILD_ADULTS_VIEW_RESTRICTED = "child.view_restricted_adults"
CHILD_ADULTS_EDIT = "child.edit_adults"
AUDIT_VIEW = "audit.view"
# Programmes: courses, runs, sessions, seats, attendance.
PROGRAM_VIEW = "program.view"
PROGRAM_EDIT = "program.edit"
ENROLLMENT_EDIT = "enrollment.edit"
FEE_EDIT = "fee.edit"
ATTENDANCE_RECORD = "attendance.record"
FOLLOW_UP_MANAGE = "follow_up.manage"
TOPICS_VIEW = "topics.view"
# The kids' room: today's board and check-in/out; bookings and shifts; safety alerts about
# restricted adults; incidents; the room's report (occupancy and snack counts, no names).
KIDSROOM_VIEW = "kidsroom.view"
KIDSROOM_CHECK = "kidsroom.check"
KIDSROOM_BOOK = "kidsroom.book"
KIDSROOM_ALERTS = "kidsroom.alerts"
KIDSROOM_REPORT = "kidsroom.report"
INCIDENT_RECORD = "incident.record"
INCIDENT_VIEW = "incident.view"
# Counselling: the schedule shows coordinators and the director only that a slot is taken;
# psychologists book their own clients and write notes (read by the author and a clinical
# lead only: counselling/access.py).
COUNSELLING_SCHEDULE = "counselling.schedule"
COUNSELLING_PRACTISE = "counselling.practise"
# Messages: the deliveries to the women (what, when, channel, why not sent) and a message to a
# run's roster are the care team's; the templates' words are also the communications
# manager's; the channels' health is for those who run a centre.
MESSAGES_VIEW = "messages.view"
MESSAGES_SEND = "messages.send"
TEMPLATES_EDIT = "messages.templates"
CHANNELS_VIEW = "messages.channels"
# The discreet words that survivors receive: only the director changes them (a coordinator or
# communications may propose them in the preview; a mistake there reaches every survivor).
TEMPLATES_EDIT_DISCREET = "messages.templates_discreet"

_EVERY_ROLE_SEES = {CENTRE_VIEW}
_RUNS_A_CENTRE = {
    PROGRAM_VIEW,
    PROGRAM_EDIT,
    ENROLLMENT_EDIT,
    FEE_EDIT,
    ATTENDANCE_RECORD,
    FOLLOW_UP_MANAGE,
    TOPICS_VIEW,
}
_KIDS_ROOM_LEADS = {
    KIDSROOM_VIEW,
    KIDSROOM_CHECK,
    KIDSROOM_BOOK,
    KIDSROOM_ALERTS,
    KIDSROOM_REPORT,
    INCIDENT_RECORD,
    INCIDENT_VIEW,
}
_CARE_TEAM = {
    PARTICIPANT_VIEW,
    PARTICIPANT_VIEW_CONTACT,
    PARTICIPANT_VIEW_SENSITIVE,
    PARTICIPANT_EDIT,
    PARTICIPANT_VERIFY,
    CHILD_VIEW,
    CHILD_VIEW_NEEDS,
    CHILD_EDIT,
    CHILD_ADULTS_VIEW_RESTRICTED,
    CHILD_ADULTS_EDIT,
    PARTICIPANT_EXPORT,
    MESSAGES_VIEW,
    MESSAGES_SEND,
    TEMPLATES_EDIT,
    CHANNELS_VIEW,
}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.DIRECTOR: frozenset(
        _EVERY_ROLE_SEES
        | _CARE_TEAM
        | _RUNS_A_CENTRE
        | _KIDS_ROOM_LEADS
        | {AUDIT_VIEW, PARTICIPANT_ERASE, COUNSELLING_SCHEDULE, TEMPLATES_EDIT_DISCREET}
    ),
    Role.COORDINATOR: frozenset(
        _EVERY_ROLE_SEES | _CARE_TEAM | _RUNS_A_CENTRE | _KIDS_ROOM_LEADS | {COUNSELLING_SCHEDULE}
    ),
    # Fees and logistics: who she is and how to reach her, never why she is here.
    Role.MANAGER: frozenset(
        _EVERY_ROLE_SEES
        | {PARTICIPANT_VIEW, PARTICIPANT_VIEW_CONTACT, PROGRAM_VIEW, FEE_EDIT, KIDSROOM_REPORT}
    ),
    # Public catalogue, topics and consented stories; no personal records.
    Role.COMMS: frozenset(_EVERY_ROLE_SEES | {PROGRAM_VIEW, TOPICS_VIEW, TEMPLATES_EDIT}),
    # Names for the roll call of her own runs; no contact details, circumstances or children.
    Role.TRAINER: frozenset(_EVERY_ROLE_SEES | {PARTICIPANT_VIEW, PROGRAM_VIEW, ATTENDANCE_RECORD}),
    # The children in her care and their needs cards; the authorised adults, not the
    # restricted ones (the check-out itself blocks those). She checks children in and out and
    # writes incidents; bookings, shifts and the alerts are the coordinator's.
    Role.TUTOR: frozenset(
        _EVERY_ROLE_SEES
        | {PARTICIPANT_VIEW, CHILD_VIEW, CHILD_VIEW_NEEDS, PROGRAM_VIEW}
        | {KIDSROOM_VIEW, KIDSROOM_CHECK, KIDSROOM_REPORT, INCIDENT_RECORD}
    ),
    # Her own clients' names; counselling notes have their own rules.
    Role.PSYCHOLOGIST: frozenset(
        _EVERY_ROLE_SEES | {PARTICIPANT_VIEW, COUNSELLING_SCHEDULE, COUNSELLING_PRACTISE}
    ),
}
ALL_CAPABILITIES = frozenset().union(*CAPABILITIES.values())


@dataclass
class Principal:
    """A user's roles: centre id → role, with `None` meaning every centre."""

    user: User | AnonymousUser
    roles: dict[int | None, str] = field(default_factory=dict)

    @property
    def is_staff_member(self) -> bool:
        return bool(self.roles)

    @property
    def spans_all_centres(self) -> bool:
        return None in self.roles

    def role_in(self, centre_id: int | None) -> str | None:
        if None in self.roles:
            return self.roles[None]
        if centre_id is None:
            return None
        return self.roles.get(centre_id)

    def can(self, capability: str, centre_id: int | None = None) -> bool:
        """May the user do `capability` at `centre_id` (or at any centre, when None)?"""
        if capability not in ALL_CAPABILITIES:
            raise ValueError(f"Unknown capability {capability!r}")
        if centre_id is None:
            return any(capability in CAPABILITIES[role] for role in self.roles.values())
        role = self.role_in(centre_id)
        return role is not None and capability in CAPABILITIES[role]

    def centre_ids_for(self, capability: str) -> set[int] | None:
        """Centres where the capability holds; None means all of them."""
        if None in self.roles and capability in CAPABILITIES[self.roles[None]]:
            return None
        return {
            centre_id
            for centre_id, role in self.roles.items()
            if centre_id is not None and capability in CAPABILITIES[role]
        }

    def member_centre_ids(self) -> set[int] | None:
        if None in self.roles:
            return None
        return {cid for cid in self.roles if cid is not None}


def principal(user: User | AnonymousUser) -> Principal:
    """The user's roles, read once per user object (one query)."""
    cached = getattr(user, "_mamapro_principal", None)
    if cached is not None:
        return cached
    result = Principal(user=user)
    if user.is_authenticated and user.is_active:
        if user.is_superuser:
            result.roles[None] = Role.DIRECTOR
        else:
            for centre_id, role in user.memberships.values_list("centre_id", "role"):
                # The director's membership has no centre: it spans all of them.
                result.roles[centre_id] = role
    # Cached on the user object, which lives for one request.
    setattr(user, "_mamapro_principal", result)  # noqa: B010
    return result


def forget_principal(user: User | AnonymousUser) -> None:
    if hasattr(user, "_mamapro_principal"):
        delattr(user, "_mamapro_principal")


M = TypeVar("M", bound=models.Model)


def scope(
    queryset: models.QuerySet[M],
    user: User | AnonymousUser,
    capability: str,
    *,
    centre_field: str = "centre_id",
    only_centre: int | None = None,
) -> models.QuerySet[M]:
    """Rows of `queryset` at the centres where `user` holds `capability`."""
    ids = principal(user).centre_ids_for(capability)
    if ids is not None:
        queryset = queryset.filter(**{f"{centre_field}__in": ids})
    if only_centre is not None:
        queryset = queryset.filter(**{centre_field: only_centre})
    return queryset


def get_for_user(
    queryset: models.QuerySet[M],
    user: User | AnonymousUser,
    capability: str,
    *,
    centre_field: str = "centre_id",
    **lookup: Any,
) -> M:
    """The object, or 404 for an outsider and 403 for a member whose role lacks the right."""
    who = principal(user)
    visible = queryset
    members_of = who.member_centre_ids()
    if members_of is not None:
        visible = queryset.filter(**{f"{centre_field}__in": members_of})
    obj = visible.filter(**lookup).first()
    if obj is None:
        raise Http404
    centre_id = obj
    for part in centre_field.split("__"):
        centre_id = getattr(centre_id, part)
    if not who.can(capability, centre_id):  # type: ignore[arg-type]
        raise PermissionDenied
    return obj


def may_take_roll_call(user: User | AnonymousUser, centre_id: int, trainer_id: int | None) -> bool:
    """Coordinators and the director for any run of their centres; a trainer for her own."""
    me = principal(user)
    if not me.can(ATTENDANCE_RECORD, centre_id):
        return False
    return me.role_in(centre_id) != Role.TRAINER or trainer_id == getattr(user, "pk", None)


def acting_user(request: HttpRequest) -> User:
    """The signed-in staff member behind a request that passed its `@rule`."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


def require(user: User | AnonymousUser, capability: str, centre_id: int | None = None) -> None:
    """403 unless the user holds `capability` (at `centre_id`, or anywhere when None)."""
    if not principal(user).can(capability, centre_id):
        raise PermissionDenied


F = TypeVar("F", bound=Callable[..., Any])


def rule(capability: str) -> Callable[[F], F]:
    """Declare what a view or API operation needs; checked before it runs.

    PUBLIC: anyone. AUTHENTICATED: any active staff account. A capability: a role that holds
    it at one centre at least (object-level checks then use `get_for_user`).
    """
    if capability not in {PUBLIC, AUTHENTICATED} and capability not in ALL_CAPABILITIES:
        raise ValueError(f"Unknown capability {capability!r}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if capability != PUBLIC:
                _check(request, capability)
            return view(request, *args, **kwargs)

        wrapped.mamapro_rule = capability  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


class NotAuthenticated(Exception):
    """Raised by `rule` for anonymous requests; web views redirect, the API answers 401."""


def _check(request: HttpRequest, capability: str) -> None:
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated
    if capability == AUTHENTICATED:
        return
    require(user, capability)
