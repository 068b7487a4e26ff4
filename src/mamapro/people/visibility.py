"""Which of a person's fields a role may see, and the audit entry for each sensitive read.

Pages, the API and exports all ask here, so a trainer never sees a circumstance on any path.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.people.models import Child, ChildAdult, Participant

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
# The sensitive fields the participant edit form shows (the birth date follows from the IIN);
# the view audits those of them the form actually has (not a hidden address).
EDIT_FORM_SENSITIVE_FIELDS = tuple(f for f in PARTICIPANT_SENSITIVE_FIELDS if f != "birth_date")
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


def sees_real_names(user: User | AnonymousUser, participant: Participant) -> bool:
    """Does this user see who she is (her names, her Latin-script name), or only her alias?"""
    return not participant.alias or perms.principal(user).can(
        perms.PARTICIPANT_VIEW_SENSITIVE, participant.centre_id
    )


def _initial(word: str) -> str:
    return f"{word[0]}." if word else ""


def shown_child_name(user: User | AnonymousUser, child: Child) -> str:
    """A child's name as this user may see it. Outside the care team, the child of a mother who
    chose a roster alias is shown by given name only (as the kids' room board does,
    kidsroom/names.py): the family name is often hers (or her abuser's) and would undo the
    alias."""
    if sees_real_names(user, child.parent):
        return str(child)
    return child.given_name


def shown_child_family_name(user: User | AnonymousUser, child: Child) -> str:
    """The family name field as the API gives it (empty where `shown_child_name` leaves it
    out)."""
    if sees_real_names(user, child.parent):
        return child.family_name
    return ""


def shown_adult_name(user: User | AnonymousUser, adult: ChildAdult, mother: Participant) -> str:
    """An adult around a child as this user may see her. Outside the care team, when the
    mother chose a roster alias, the mother is shown by her alias and every other adult by
    given name and initial (their family name is often hers): enough to recognise them at the
    door together with the relation, not enough to undo the alias."""
    if sees_real_names(user, mother):
        return adult.name
    if adult.relation == ChildAdult.Relation.MOTHER:
        return mother.alias
    words = adult.name.split()
    if not words:
        return ""
    return " ".join(p for p in (words[0], *(_initial(w) for w in words[1:2])) if p)
