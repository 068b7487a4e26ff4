"""Which of a person's fields a role may see, and the audit entry for each sensitive read.

Pages, the API and exports all ask here, so a trainer never sees a circumstance on any path.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.people.models import Child, Participant

PARTICIPANT_CONTACT_FIELDS = (
    "phone",
    "email",
    "contact_channels",
    "safe_hours_from",
    "safe_hours_to",
    "do_not_call",
    "no_contact",
    "discreet",
)
# The circumstances (a DV survivor's safety), her IIN and birth date, where she lives, whether
# she qualifies for a free seat, and the note on how to reach her safely.
PARTICIPANT_SENSITIVE_FIELDS = (
    "iin",
    "birth_date",
    "address",
    "circumstances",
    "eligibility_verified",
    "safe_contact_note",
)
CHILD_NEEDS_FIELDS = (
    "support_level",
    "support_needs",
    "communication",
    "communication_notes",
    "diet",
    "allergies",
    "medication",
    "medical_notes",
)
RESTRICTED_ADULT_FIELDS = ("restricted_adults",)


@dataclass(frozen=True)
class ParticipantAccess:
    contact: bool
    sensitive: bool
    edit: bool
    children: bool

    def sensitive_fields(self, participant: Participant) -> tuple[str, ...]:
        """The sensitive fields a response about `participant` includes (for the audit)."""
        if not self.sensitive:
            return ()
        fields: tuple[str, ...] = PARTICIPANT_SENSITIVE_FIELDS
        if participant.address_hidden:
            fields = tuple(f for f in fields if f != "address")
        return fields


def participant_access(user: User | AnonymousUser, centre_id: int) -> ParticipantAccess:
    me = perms.principal(user)
    return ParticipantAccess(
        contact=me.can(perms.PARTICIPANT_VIEW_CONTACT, centre_id),
        sensitive=me.can(perms.PARTICIPANT_VIEW_SENSITIVE, centre_id),
        edit=me.can(perms.PARTICIPANT_EDIT, centre_id),
        children=me.can(perms.CHILD_VIEW, centre_id),
    )


@dataclass(frozen=True)
class ChildAccess:
    needs: bool
    restricted_adults: bool
    edit: bool
    edit_adults: bool
    # Adults' phones are contact details: the mother's own number is among them.
    adult_phones: bool

    def sensitive_fields(self) -> tuple[str, ...]:
        fields: tuple[str, ...] = ()
        if self.needs:
            fields += CHILD_NEEDS_FIELDS
        if self.restricted_adults:
            fields += RESTRICTED_ADULT_FIELDS
        return fields


def child_access(user: User | AnonymousUser, child: Child | int) -> ChildAccess:
    centre_id = child if isinstance(child, int) else child.centre_id
    me = perms.principal(user)
    return ChildAccess(
        needs=me.can(perms.CHILD_VIEW_NEEDS, centre_id),
        restricted_adults=me.can(perms.CHILD_ADULTS_VIEW_RESTRICTED, centre_id),
        edit=me.can(perms.CHILD_EDIT, centre_id),
        edit_adults=me.can(perms.CHILD_ADULTS_EDIT, centre_id),
        adult_phones=me.can(perms.PARTICIPANT_VIEW_CONTACT, centre_id),
    )


def shown_name(user: User | AnonymousUser, participant: Participant) -> str:
    """Her name as this user may see it: the alias she chose, unless the user is one of the
    care team (coordinators, the director), who see who she is."""
    if participant.alias and not perms.principal(user).can(
        perms.PARTICIPANT_VIEW_SENSITIVE, participant.centre_id
    ):
        return participant.alias
    return participant.full_name
