"""State changes for participants, children, their adults and consents.

One function per action, one transaction each, an audit entry with every change. Views, the
API, the admin and the demo loader all call these, so the rules hold on every path. Input
problems raise Django's ValidationError keyed by field name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.centres.models import Centre
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.changes import apply_changes, changed_fields
from mamapro.core.crypto import blind_q
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry, User
from mamapro.people.models import (
    Child,
    ChildAdult,
    Circumstance,
    Consent,
    Participant,
    active_consent,
)
from mamapro.people.photos import clean_photo

PARTICIPANT_FIELDS = (
    "given_name",
    "family_name",
    "patronymic",
    "latin_name",
    "alias",
    "phone",
    "email",
    "language",
    "region",
    "status",
    "iin",
    "address",
    "contact_channels",
    "safe_hours_from",
    "safe_hours_to",
    "do_not_call",
    "no_contact",
    "discreet",
    "flash_sms",
    "address_hidden",
    "safe_contact_note",
)
CHILD_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "support_level",
    "support_needs",
    "communication",
    "communication_notes",
    "diet",
    "allergies",
    "medication",
    "medical_notes",
)
ADULT_FIELDS = ("name", "phone", "relation", "authorised", "note")


def _may_see_iin_of(actor: User | None, holder: Participant) -> bool:
    """May the person saving learn that `holder` has this IIN? Only if she could read it on
    her page: the care team of holder's centre (who reach every woman there, people/reach.py).
    No actor: the demo loader or a shell, told plainly."""
    if actor is None:
        return True
    return perms.principal(actor).can(perms.PARTICIPANT_VIEW_SENSITIVE, holder.centre_id)


def _check_participant_unique(participant: Participant, actor: User | None) -> Participant | None:
    """Refuse a duplicate the person saving may know about. When another record she may not
    see (another centre's woman) holds the same IIN, return that record: this one is then
    saved all the same, its IIN kept out of the unique index and flagged in the audit log for
    the director to merge, so the answer is the one an IIN nobody has gets (no oracle for "is
    she registered anywhere?")."""
    others = Participant.objects.exclude(pk=participant.pk)
    errors: dict[str, str] = {}
    if (
        participant.phone
        and others.filter(centre=participant.centre_id, phone=participant.phone).exists()
    ):
        errors["phone"] = _("A participant with this phone is already registered at this centre.")
    holder = None
    if participant.iin:
        holder = (
            others.filter(blind_q("iin_digest", "iin", participant.iin))
            .only("pk", "centre_id")
            .first()
        )
        if holder is not None and _may_see_iin_of(actor, holder):
            errors["iin"] = _("A participant with this IIN is already registered.")
            holder = None
    if errors:
        raise ValidationError(errors)
    return holder


def _write_participant(participant: Participant, shared_with: Participant | None) -> None:
    if shared_with is None:
        participant.save()
        return
    # Saved without the IIN (so without its digest: the unique index is not involved), then the
    # encrypted IIN alone; the blind index stays with the first record.
    iin = participant.iin
    participant.iin = None
    try:
        participant.save()
    finally:
        participant.iin = iin
    Participant.objects.filter(pk=participant.pk).update(iin=iin)


def _save_participant(participant: Participant, actor: User | None = None) -> None:
    participant.full_clean(validate_constraints=False)
    shared_with = _check_participant_unique(participant, actor)
    try:
        with transaction.atomic():
            _write_participant(participant, shared_with)
    except IntegrityError:
        # Two coordinators saved the same phone (or IIN) in the same instant: the constraint
        # decided; she is told as above.
        shared_with = _check_participant_unique(participant, actor)
        if shared_with is None:
            raise
        with transaction.atomic():
            _write_participant(participant, shared_with)
    if shared_with is not None:
        audit.record(
            AuditEntry.Action.UPDATE,
            participant,
            fields=["iin"],
            details={"event": "iin_shared", "with": shared_with.pk},
            actor=actor,
        )


def _set_circumstances(participant: Participant, kinds: Iterable[str]) -> bool:
    wanted = set(kinds)
    unknown = wanted - set(Circumstance.Kind.values)
    if unknown:
        raise ValidationError(
            {
                "circumstances": _("Unknown circumstance: %(names)s.")
                % {"names": ", ".join(sorted(unknown))}
            }
        )
    have = set(participant.circumstances.values_list("kind", flat=True))
    if wanted == have:
        return False
    participant.circumstances.of_kind(*(have - wanted)).delete()
    Circumstance.objects.bulk_create(
        Circumstance(participant=participant, centre_id=participant.centre_id, kind=kind)
        for kind in sorted(wanted - have)
    )
    return True


def _set_eligibility(participant: Participant, verified: bool, actor: User | None) -> bool:
    if participant.eligibility_verified == verified:
        return False
    participant.eligibility_verified = verified
    participant.eligibility_verified_by = actor if verified else None
    participant.eligibility_verified_at = timezone.now() if verified else None
    return True


@transaction.atomic
def create_participant(
    *,
    centre: Centre,
    data: Mapping[str, Any],
    circumstances: Iterable[str] = (),
    eligibility_verified: bool = False,
    actor: User | None = None,
) -> Participant:
    participant = Participant(centre=centre)
    apply_changes(participant, data, PARTICIPANT_FIELDS)
    changed = {name for name, value in data.items() if value not in ("", None, [], False)}
    if eligibility_verified:
        _set_eligibility(participant, True, actor)
        changed.add("eligibility_verified")
    _save_participant(participant, actor)
    if _set_circumstances(participant, circumstances):
        changed.add("circumstances")
    audit.record(AuditEntry.Action.CREATE, participant, fields=changed, actor=actor)
    return participant


@transaction.atomic
def update_participant(
    participant: Participant,
    *,
    data: Mapping[str, Any],
    circumstances: Iterable[str] | None = None,
    eligibility_verified: bool | None = None,
    actor: User | None = None,
) -> Participant:
    # Lock the row: two coordinators editing her at once must not interleave.
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.erased_at is not None:
        raise Conflict(_("Her data was erased; nothing can be added to this record."))
    before = apply_changes(participant, data, PARTICIPANT_FIELDS)
    participant.full_clean(validate_constraints=False)
    changed = changed_fields(participant, before)
    if eligibility_verified is not None and _set_eligibility(
        participant, eligibility_verified, actor
    ):
        changed.add("eligibility_verified")
    if changed:
        _save_participant(participant, actor)
    if circumstances is not None and _set_circumstances(participant, circumstances):
        changed.add("circumstances")
    if changed:
        audit.record(AuditEntry.Action.UPDATE, participant, fields=changed, actor=actor)
    return participant


def _save_child(child: Child) -> None:
    child.full_clean()
    child.save()


@transaction.atomic
def add_child(parent: Participant, *, data: Mapping[str, Any], actor: User | None = None) -> Child:
    # No family name is guessed from the mother's: for a woman behind a roster alias it would
    # put her real family name on every list of children (a tutor's, the board's).
    child = Child(parent=parent, centre_id=parent.centre_id)
    apply_changes(child, data, CHILD_FIELDS)
    _save_child(child)
    audit.record(AuditEntry.Action.CREATE, child, fields=data.keys(), actor=actor)
    return child


@transaction.atomic
def update_child(child: Child, *, data: Mapping[str, Any], actor: User | None = None) -> Child:
    child = Child.objects.select_for_update().get(pk=child.pk)
    before = apply_changes(child, data, CHILD_FIELDS)
    child.full_clean()
    changed = changed_fields(child, before)
    if changed:
        child.save()
        audit.record(AuditEntry.Action.UPDATE, child, fields=changed, actor=actor)
    return child


@transaction.atomic
def add_adult(child: Child, *, data: Mapping[str, Any], actor: User | None = None) -> ChildAdult:
    adult = ChildAdult(child=child, centre_id=child.centre_id)
    apply_changes(adult, data, ADULT_FIELDS)
    adult.full_clean()
    adult.save()
    audit.record(
        AuditEntry.Action.CREATE,
        adult,
        fields=data.keys(),
        details={"child": child.pk, "authorised": adult.authorised},
        actor=actor,
    )
    return adult


@transaction.atomic
def update_adult(
    adult: ChildAdult, *, data: Mapping[str, Any], actor: User | None = None
) -> ChildAdult:
    adult = ChildAdult.objects.select_for_update().get(pk=adult.pk)
    before = apply_changes(adult, data, ADULT_FIELDS)
    adult.full_clean()
    changed = changed_fields(adult, before)
    if changed:
        adult.save()
        audit.record(
            AuditEntry.Action.UPDATE,
            adult,
            fields=changed,
            details={"child": adult.child_id, "authorised": adult.authorised},
            actor=actor,
        )
    return adult


@transaction.atomic
def remove_adult(adult: ChildAdult, *, actor: User | None = None) -> None:
    audit.record(
        AuditEntry.Action.DELETE,
        adult,
        details={"child": adult.child_id, "authorised": adult.authorised},
        actor=actor,
    )
    adult.delete()


@transaction.atomic
def record_consent(
    participant: Participant,
    *,
    kind: str,
    version: str,
    valid_until: Any = None,
    third_party_transfer: bool = False,
    cross_border_transfer: bool = False,
    actor: User | None = None,
) -> Consent:
    if kind not in Consent.Kind.values:
        raise ValidationError({"kind": _("Unknown consent purpose.")})
    version = (version or "").strip()
    if not version:
        raise ValidationError({"version": _("Name the version of the consent text she agreed to.")})
    now = timezone.now()
    if valid_until is not None and valid_until < timezone.localdate():
        raise ValidationError(
            {"valid_until": _("The term of a new consent cannot be over already.")}
        )
    # A renewed consent replaces the active one of the same purpose; the history stays.
    Consent.objects.filter(participant=participant, kind=kind, revoked_at__isnull=True).update(
        revoked_at=now
    )
    consent = Consent.objects.create(
        participant=participant,
        centre_id=participant.centre_id,
        kind=kind,
        version=version,
        granted_at=now,
        valid_until=valid_until,
        third_party_transfer=third_party_transfer,
        cross_border_transfer=cross_border_transfer,
        recorded_by=actor,
    )
    audit.record(
        AuditEntry.Action.CREATE,
        consent,
        details={
            "kind": kind,
            "version": version,
            "valid_until": str(valid_until or ""),
            "third_party_transfer": third_party_transfer,
            "cross_border_transfer": cross_border_transfer,
        },
        actor=actor,
    )
    return consent


@transaction.atomic
def revoke_consent(consent: Consent, *, actor: User | None = None) -> Consent:
    updated = Consent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    consent.refresh_from_db()
    if updated:
        audit.record(
            AuditEntry.Action.UPDATE,
            consent,
            fields=["revoked_at"],
            details={"kind": consent.kind},
            actor=actor,
        )
        if consent.kind == Consent.Kind.PHOTOS:
            # No consent, no photo: her children's photos are deleted, not just hidden.
            for child in Child.objects.filter(parent_id=consent.participant_id).exclude(photo=""):
                remove_child_photo(child, actor=actor)
    return consent


def may_use_story(participant: Participant) -> bool:
    """Her story may be published (alumni stories, donor reports) only while her story
    consent is in force; withdrawing it stops every use from that moment."""
    return (
        participant.erased_at is None
        and Consent.objects.filter(
            active_consent(), participant=participant, kind=Consent.Kind.STORY
        ).exists()
    )


# --- A child's photo ------------------------------------------------------------------------


def photo_allowed(child: Child) -> bool:
    """Her mother's photo consent is active: only then is the photo shown anywhere."""
    return Consent.objects.filter(
        active_consent(), participant_id=child.parent_id, kind=Consent.Kind.PHOTOS
    ).exists()


def set_child_photo(child: Child, upload: Any, *, actor: User | None = None) -> Child:
    """Store her photo (needs her mother's photo consent first); the old one is deleted."""
    if not photo_allowed(child):
        raise ValidationError(
            {"photo": _("Record her mother's consent to photos before adding a photo.")}
        )
    data = clean_photo(upload)
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        old = child.photo.name if child.photo else ""
        child.photo.save("photo.jpg", ContentFile(data), save=False)
        child.save(update_fields=["photo", "updated_at"])
        audit.record(AuditEntry.Action.UPDATE, child, fields=["photo"], actor=actor)
        if old:
            transaction.on_commit(lambda: child.photo.storage.delete(old))
    return child


def remove_child_photo(child: Child, *, actor: User | None = None) -> Child:
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        if not child.photo:
            return child
        old = child.photo.name
        child.photo = ""
        child.save(update_fields=["photo", "updated_at"])
        audit.record(AuditEntry.Action.UPDATE, child, fields=["photo"], actor=actor)
        transaction.on_commit(lambda: child.photo.storage.delete(old))
    return child
