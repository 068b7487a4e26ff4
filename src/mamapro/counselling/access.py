"""Who may know what about counselling. The one place these rules live."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from mamapro.centres.models import Membership
from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.counselling.models import Appointment, Note


def lead_centres(user: User | AnonymousUser) -> set[int]:
    """Centres where the user is a clinical lead (one query)."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(
            user_id=user.pk, role=perms.Role.PSYCHOLOGIST, clinical_lead=True
        ).values_list("centre_id", flat=True)
    )


def is_clinical_lead(user: User | AnonymousUser, centre_id: int) -> bool:
    return centre_id in lead_centres(user)


def sees_client(
    user: User | AnonymousUser, appointment: Appointment, lead: bool | None = None
) -> bool:
    """Who the appointment is with: its psychologist and a clinical lead, nobody else."""
    if not user.is_authenticated:
        return False
    if appointment.psychologist_id == user.pk:
        return True
    return lead if lead is not None else is_clinical_lead(user, appointment.centre_id)


def may_read(user: User | AnonymousUser, note: Note, leads: set[int] | None = None) -> bool:
    """A note: its author and a clinical lead of the note's centre, each while a psychologist
    there; nobody else, the director included. `leads`: the user's `lead_centres`, when the
    caller has them already (a page of notes reads them once)."""
    if not user.is_authenticated:
        return False
    if perms.principal(user).role_in(note.centre_id) != perms.Role.PSYCHOLOGIST:
        return False
    if note.author_id == user.pk:
        return True
    return note.centre_id in (lead_centres(user) if leads is None else leads)


def clients_q(user: User) -> Q:
    """`people.reach` rule for psychologists: her own clients, the women she has (or had) an
    appointment with, whatever its status. A new client is found by an exact search
    (counselling/queries.py), never from a list."""
    return Q(pk__in=Appointment.objects.filter(psychologist_id=user.pk).values("participant_id"))
