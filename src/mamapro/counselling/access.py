"""Who may know what about counselling. The one place these rules live."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from mamapro.centres.models import Membership
from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.counselling.models import Appointment, Note


def is_clinical_lead(user: User | AnonymousUser, centre_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user_id=user.pk, centre_id=centre_id, role=perms.Role.PSYCHOLOGIST, clinical_lead=True
    ).exists()


def sees_client(
    user: User | AnonymousUser, appointment: Appointment, lead: bool | None = None
) -> bool:
    """Who the appointment is with: its psychologist and a clinical lead, nobody else."""
    if not user.is_authenticated:
        return False
    if appointment.psychologist_id == user.pk:
        return True
    return lead if lead is not None else is_clinical_lead(user, appointment.centre_id)


def may_read(user: User | AnonymousUser, note: Note, lead: bool) -> bool:
    """A note: its author, and a clinical lead of the centre."""
    return user.is_authenticated and (note.author_id == user.pk or lead)
