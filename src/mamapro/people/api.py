"""API for participants, children and the adults around them (shared/API.md).

Sensitive fields are left out of a response for roles that may not see them; every response
that includes them writes an audit entry. References in a body (centre, parent) that the user
cannot see answer 422 naming the field, exactly as for a reference that does not exist.
"""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from mamapro.centres.models import Centre
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.api import Page, PageFilters, patch_data
from mamapro.people import reach, services
from mamapro.people.models import Child, ChildAdult, Participant
from mamapro.people.queries import search_participants
from mamapro.people.visibility import (
    CHILD_NEEDS_FIELDS,
    PARTICIPANT_CONTACT_FIELDS,
    ChildAccess,
    ParticipantAccess,
    child_access,
    participant_access,
    shown_adult_name,
    shown_child_family_name,
)

router = Router(tags=["people"])

Language = Literal["kk", "ru", "en"]
ParticipantStatus = Literal["applicant", "resident", "alumna"]
CircumstanceKind = Literal["special_needs_child", "stay_at_home", "domestic_violence", "other"]
Channel = Literal["call", "sms", "whatsapp", "telegram", "email"]
SupportLevel = Literal["standard", "high"]
Need = Literal[
    "down_syndrome",
    "autism",
    "cerebral_palsy",
    "adhd",
    "hearing",
    "vision",
    "speech_delay",
    "epilepsy",
    "other",
]
Communication = Literal["verbal", "limited", "non_verbal"]
Diet = Literal["gluten_free", "lactose_free", "nut_free", "sugar_free", "vegetarian", "halal"]
Relation = Literal[
    "mother", "father", "grandmother", "grandfather", "aunt", "uncle", "sibling", "nanny", "other"
]
Name = Field(..., min_length=1, max_length=80)
# An id filter the database can hold (a bigger one answers 422 naming it, never a 500).
MAX_ID = 2**63 - 1


# --- Participants ---------------------------------------------------------------------------
class ParticipantOut(Schema):
    id: int
    centre: int
    given_name: str
    family_name: str
    patronymic: str
    latin_name: str
    language: str
    region: str
    status: str
    created_at: dt.datetime
    # Contact: coordinators, the director and the internal manager.
    phone: str | None = None
    email: str | None = None
    contact_channels: list[str] | None = None
    safe_hours_from: dt.time | None = None
    safe_hours_to: dt.time | None = None
    do_not_call: bool | None = None
    no_contact: bool | None = None
    discreet: bool | None = None
    # Sensitive: coordinators and the director only; every read audited.
    iin: str | None = None
    birth_date: dt.date | None = None
    address: str | None = None
    address_hidden: bool | None = None
    circumstances: list[str] | None = None
    eligibility_verified: bool | None = None
    safe_contact_note: str | None = None
    alias: str | None = None


class ParticipantIn(Schema):
    centre: int
    given_name: str = Name
    family_name: str = Name
    patronymic: str = Field("", max_length=80)
    latin_name: str = Field("", max_length=160)
    alias: str = Field("", max_length=80)
    phone: str = Field(..., max_length=32)
    email: str = Field("", max_length=254)
    language: Language = "ru"
    region: str = ""
    status: ParticipantStatus = "applicant"
    iin: str | None = Field(None, max_length=20)
    address: str = Field("", max_length=2000)
    circumstances: list[CircumstanceKind] = Field(default_factory=list)
    eligibility_verified: bool = False
    contact_channels: list[Channel] = Field(default_factory=list)
    safe_hours_from: dt.time | None = None
    safe_hours_to: dt.time | None = None
    do_not_call: bool = False
    no_contact: bool = False
    discreet: bool = False
    address_hidden: bool = False
    safe_contact_note: str = Field("", max_length=2000)


class ParticipantPatch(Schema):
    given_name: str | None = Field(None, min_length=1, max_length=80)
    family_name: str | None = Field(None, min_length=1, max_length=80)
    patronymic: str | None = Field(None, max_length=80)
    latin_name: str | None = Field(None, max_length=160)
    alias: str | None = Field(None, max_length=80)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    language: Language | None = None
    region: str | None = None
    status: ParticipantStatus | None = None
    iin: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=2000)
    circumstances: list[CircumstanceKind] | None = None
    eligibility_verified: bool | None = None
    contact_channels: list[Channel] | None = None
    safe_hours_from: dt.time | None = None
    safe_hours_to: dt.time | None = None
    do_not_call: bool | None = None
    no_contact: bool | None = None
    discreet: bool | None = None
    address_hidden: bool | None = None
    safe_contact_note: str | None = Field(None, max_length=2000)


class ParticipantFilters(PageFilters):
    search: str = Field("", max_length=100, description="part of a name or phone, any case")
    centre: int | None = Field(None, ge=1, le=MAX_ID)


def participant_out(p: Participant, access: ParticipantAccess) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.pk,
        "centre": p.centre_id,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "patronymic": p.patronymic,
        "latin_name": p.latin_name,
        "language": p.language,
        "region": p.region,
        "status": p.status,
        "created_at": p.created_at,
    }
    if p.alias and not access.sensitive:
        # She chose a name for rosters: everyone but the care team sees only that.
        out.update(given_name=p.alias, family_name="", patronymic="", latin_name="")
    if access.contact:
        out.update({name: getattr(p, name) for name in PARTICIPANT_CONTACT_FIELDS})
    if access.sensitive:
        out.update(
            alias=p.alias,
            iin=p.iin,
            birth_date=p.birth_date,
            address_hidden=p.address_hidden,
            circumstances=sorted(c.kind for c in p.circumstances.all()),
            eligibility_verified=p.eligibility_verified,
            safe_contact_note=p.safe_contact_note,
        )
        if not p.address_hidden:
            out["address"] = p.address
    return out


def _respond_participants(request: HttpRequest, people: list[Participant]) -> list[dict[str, Any]]:
    out, reads = [], []
    for p in people:
        access = participant_access(request.user, p.centre_id)
        out.append(participant_out(p, access))
        reads.append((p, access.sensitive_fields(p)))
    audit.record_reads(reads)
    return out


def _with_circumstances(qs: QuerySet[Participant]) -> QuerySet[Participant]:
    return qs.prefetch_related("circumstances")


@router.get("/participants", response=Page[ParticipantOut], exclude_unset=True)
@perms.rule(perms.PARTICIPANT_VIEW)
def list_participants(request: HttpRequest, filters: Query[ParticipantFilters]) -> dict[str, Any]:
    qs = search_participants(request.user, filters.search, centre_id=filters.centre)
    window = list(_with_circumstances(qs)[filters.offset : filters.offset + filters.limit])
    return {"items": _respond_participants(request, window), "count": qs.count()}


def _centre_for(request: HttpRequest, centre_id: int, capability: str) -> Centre:
    visible = perms.scope(Centre.objects.all(), request.user, perms.CENTRE_VIEW, centre_field="id")
    centre = visible.filter(pk=centre_id).first()
    if centre is None:
        raise ValidationError({"centre": _("No such centre among yours.")})
    perms.require(request.user, capability, centre.pk)
    return centre


@router.post("/participants", response={201: ParticipantOut}, exclude_unset=True)
@perms.rule(perms.PARTICIPANT_EDIT)
def create_participant(request: HttpRequest, payload: ParticipantIn) -> Status[dict[str, Any]]:
    centre = _centre_for(request, payload.centre, perms.PARTICIPANT_EDIT)
    data = payload.dict()
    data.pop("centre")
    circumstances = data.pop("circumstances")
    verified = data.pop("eligibility_verified")
    if verified:
        perms.require(request.user, perms.PARTICIPANT_VERIFY, centre.pk)
    participant = services.create_participant(
        centre=centre,
        data=data,
        circumstances=circumstances,
        eligibility_verified=verified,
        actor=perms.acting_user(request),
    )
    fresh = _with_circumstances(Participant.objects.filter(pk=participant.pk)).get()
    return Status(201, _respond_participants(request, [fresh])[0])


def _visible_participant(request: HttpRequest, pk: int, capability: str) -> Participant:
    return reach.get_for_user(
        _with_circumstances(Participant.objects.all()), request.user, capability, pk=pk
    )


@router.get("/participants/{participant_id}", response=ParticipantOut, exclude_unset=True)
@perms.rule(perms.PARTICIPANT_VIEW)
def get_participant(request: HttpRequest, participant_id: int) -> dict[str, Any]:
    participant = _visible_participant(request, participant_id, perms.PARTICIPANT_VIEW)
    return _respond_participants(request, [participant])[0]


@router.patch("/participants/{participant_id}", response=ParticipantOut, exclude_unset=True)
@perms.rule(perms.PARTICIPANT_EDIT)
def update_participant(
    request: HttpRequest, participant_id: int, payload: ParticipantPatch
) -> dict[str, Any]:
    participant = _visible_participant(request, participant_id, perms.PARTICIPANT_EDIT)
    data = patch_data(
        payload,
        nullable={"iin", "safe_hours_from", "safe_hours_to"},
        blankable={"patronymic", "latin_name", "email", "region", "address", "safe_contact_note"},
    )
    circumstances = data.pop("circumstances", None)
    verified = data.pop("eligibility_verified", None)
    if verified is not None and verified != participant.eligibility_verified:
        perms.require(request.user, perms.PARTICIPANT_VERIFY, participant.centre_id)
    services.update_participant(
        participant,
        data=data,
        circumstances=circumstances,
        eligibility_verified=verified,
        actor=perms.acting_user(request),
    )
    fresh = _visible_participant(request, participant_id, perms.PARTICIPANT_VIEW)
    return _respond_participants(request, [fresh])[0]


# --- Children -------------------------------------------------------------------------------
class ChildOut(Schema):
    id: int
    parent: int
    centre: int
    given_name: str
    family_name: str
    birth_date: dt.date
    # The needs card: coordinators, the director and tutors; every read audited.
    support_level: str | None = None
    support_needs: list[str] | None = None
    communication: str | None = None
    communication_notes: str | None = None
    diet: list[str] | None = None
    allergies: str | None = None
    medication: str | None = None
    medical_notes: str | None = None


class ChildIn(Schema):
    parent: int
    given_name: str = Name
    family_name: str = Field("", max_length=80)
    birth_date: dt.date
    support_level: SupportLevel = "standard"
    support_needs: list[Need] = Field(default_factory=list)
    communication: Communication = "verbal"
    communication_notes: str = Field("", max_length=2000)
    diet: list[Diet] = Field(default_factory=list)
    allergies: str = Field("", max_length=2000)
    medication: str = Field("", max_length=2000)
    medical_notes: str = Field("", max_length=2000)


class ChildPatch(Schema):
    given_name: str | None = Field(None, min_length=1, max_length=80)
    family_name: str | None = Field(None, max_length=80)
    birth_date: dt.date | None = None
    support_level: SupportLevel | None = None
    support_needs: list[Need] | None = None
    communication: Communication | None = None
    communication_notes: str | None = Field(None, max_length=2000)
    diet: list[Diet] | None = None
    allergies: str | None = Field(None, max_length=2000)
    medication: str | None = Field(None, max_length=2000)
    medical_notes: str | None = Field(None, max_length=2000)


class ChildFilters(PageFilters):
    parent: int | None = Field(None, ge=1, le=MAX_ID)


def child_out(child: Child, access: ChildAccess, user: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": child.pk,
        "parent": child.parent_id,
        "centre": child.centre_id,
        "given_name": child.given_name,
        # An initial only, outside the care team, when her mother chose a roster alias.
        "family_name": shown_child_family_name(user, child),
        "birth_date": child.birth_date,
    }
    if access.needs:
        out.update({name: getattr(child, name) for name in CHILD_NEEDS_FIELDS})
    return out


def _respond_children(request: HttpRequest, children: list[Child]) -> list[dict[str, Any]]:
    out, reads = [], []
    for child in children:
        access = child_access(request.user, child)
        out.append(child_out(child, access, request.user))
        if access.needs:
            reads.append((child, CHILD_NEEDS_FIELDS))
    audit.record_reads(reads)
    return out


@router.get("/children", response=Page[ChildOut], exclude_unset=True)
@perms.rule(perms.CHILD_VIEW)
def list_children(request: HttpRequest, filters: Query[ChildFilters]) -> dict[str, Any]:
    qs = reach.within_reach(
        perms.scope(Child.objects.select_related("parent"), request.user, perms.CHILD_VIEW),
        request.user,
    )
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    window = list(qs[filters.offset : filters.offset + filters.limit])
    return {"items": _respond_children(request, window), "count": qs.count()}


@router.post("/children", response={201: ChildOut}, exclude_unset=True)
@perms.rule(perms.CHILD_EDIT)
def create_child(request: HttpRequest, payload: ChildIn) -> Status[dict[str, Any]]:
    parent = (
        reach.within_reach(
            perms.scope(Participant.objects.all(), request.user, perms.PARTICIPANT_VIEW),
            request.user,
        )
        .filter(pk=payload.parent)
        .first()
    )
    if parent is None:
        raise ValidationError({"parent": _("No such participant among yours.")})
    perms.require(request.user, perms.CHILD_EDIT, parent.centre_id)
    data = payload.dict()
    data.pop("parent")
    child = services.add_child(parent, data=data, actor=perms.acting_user(request))
    return Status(201, _respond_children(request, [child])[0])


@router.get("/children/{child_id}", response=ChildOut, exclude_unset=True)
@perms.rule(perms.CHILD_VIEW)
def get_child(request: HttpRequest, child_id: int) -> dict[str, Any]:
    child = reach.get_for_user(
        Child.objects.select_related("parent"), request.user, perms.CHILD_VIEW, pk=child_id
    )
    return _respond_children(request, [child])[0]


@router.patch("/children/{child_id}", response=ChildOut, exclude_unset=True)
@perms.rule(perms.CHILD_EDIT)
def update_child(request: HttpRequest, child_id: int, payload: ChildPatch) -> dict[str, Any]:
    child = reach.get_for_user(
        Child.objects.select_related("parent"), request.user, perms.CHILD_EDIT, pk=child_id
    )
    data = patch_data(
        payload,
        nullable=set(),
        blankable={
            "family_name",
            "communication_notes",
            "allergies",
            "medication",
            "medical_notes",
        },
    )
    child = services.update_child(child, data=data, actor=perms.acting_user(request))
    return _respond_children(request, [child])[0]


# --- The adults around a child --------------------------------------------------------------
class AdultOut(Schema):
    id: int
    child: int
    name: str
    relation: str
    authorised: bool
    # Contact details (the mother's own number is among them): not for tutors.
    phone: str | None = None
    # The court-order note: coordinators and the director only.
    note: str | None = None


class AdultIn(Schema):
    name: str = Field(..., min_length=1, max_length=160)
    phone: str = Field("", max_length=32)
    relation: Relation
    authorised: bool = True
    note: str = Field("", max_length=2000)


class AdultPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=160)
    phone: str | None = Field(None, max_length=32)
    relation: Relation | None = None
    authorised: bool | None = None
    note: str | None = Field(None, max_length=2000)


def adult_out(
    adult: ChildAdult, access: ChildAccess, user: Any, mother: Participant
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": adult.pk,
        "child": adult.child_id,
        "name": shown_adult_name(user, adult, mother),
        "relation": adult.relation,
        "authorised": adult.authorised,
    }
    if access.adult_phones:
        out["phone"] = adult.phone
    if access.restricted_adults:
        out["note"] = adult.note
    return out


@router.get("/children/{child_id}/adults", response=Page[AdultOut], exclude_unset=True)
@perms.rule(perms.CHILD_VIEW)
def list_adults(request: HttpRequest, child_id: int) -> dict[str, Any]:
    child = reach.get_for_user(
        Child.objects.select_related("parent").prefetch_related(Prefetch("adults")),
        request.user,
        perms.CHILD_VIEW,
        pk=child_id,
    )
    access = child_access(request.user, child)
    adults = [a for a in child.adults.all() if a.authorised or access.restricted_adults]
    if access.restricted_adults:
        audit.record_reads([(child, ("restricted_adults",))])
    items = [adult_out(a, access, request.user, child.parent) for a in adults]
    return {"items": items, "count": len(items)}


@router.post("/children/{child_id}/adults", response={201: AdultOut}, exclude_unset=True)
@perms.rule(perms.CHILD_ADULTS_EDIT)
def create_adult(request: HttpRequest, child_id: int, payload: AdultIn) -> Status[dict[str, Any]]:
    child = reach.get_for_user(
        Child.objects.select_related("parent"), request.user, perms.CHILD_ADULTS_EDIT, pk=child_id
    )
    adult = services.add_adult(child, data=payload.dict(), actor=perms.acting_user(request))
    access = child_access(request.user, child)
    return Status(201, adult_out(adult, access, request.user, child.parent))


@router.patch("/adults/{adult_id}", response=AdultOut, exclude_unset=True)
@perms.rule(perms.CHILD_ADULTS_EDIT)
def update_adult(request: HttpRequest, adult_id: int, payload: AdultPatch) -> dict[str, Any]:
    adult = reach.get_for_user(
        ChildAdult.objects.select_related("child__parent"),
        request.user,
        perms.CHILD_ADULTS_EDIT,
        pk=adult_id,
    )
    mother = adult.child.parent
    data = patch_data(payload, nullable=set(), blankable={"phone", "note"})
    adult = services.update_adult(adult, data=data, actor=perms.acting_user(request))
    return adult_out(adult, child_access(request.user, adult.centre_id), request.user, mother)


@router.delete("/adults/{adult_id}", response={204: None})
@perms.rule(perms.CHILD_ADULTS_EDIT)
def delete_adult(request: HttpRequest, adult_id: int) -> Status[None]:
    adult = reach.get_for_user(
        ChildAdult.objects.all(), request.user, perms.CHILD_ADULTS_EDIT, pk=adult_id
    )
    services.remove_adult(adult, actor=perms.acting_user(request))
    return Status(204, None)
