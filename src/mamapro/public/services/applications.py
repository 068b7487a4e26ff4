"""A woman applies for a course from the public site.

The phone finds her: (centre, normalised phone) is unique, so a repeat application joins the
woman already registered instead of creating a second record. On a repeat, nothing typed by
the visitor touches her record: anyone who knows her phone can fill in this form (an abusive
partner included), so her name, her safe-contact wishes and her circumstances stay as the
centre recorded them. The application keeps what was typed, for the coordinator to compare.

Seats: the form never confirms one. A paid place (or the one place of a free workshop) is
held for her (`enroll(..., hold_hours=...)`: an offer held for the centre, counted against
the seats) for `PUBLIC_SEAT_HOLD_HOURS` (48 by default), or she joins the waitlist; the
coordinator confirms the held seat after speaking to her on a safe channel or once she has
paid, else `mamapro programs tick` passes it to the next in line. A free place needs a
circumstance checked in person, which no web form can do: her stated circumstance is
recorded, unverified, and the application waits for the coordinator, who verifies it and
then enrolls her (even if she was verified before: her phone alone proves nothing).

Whatever happens, the visitor sees the same answer, and the request does the same work:
whether a phone is known never shows, not even in how long the answer takes. A new woman is
registered (her record, her consent, the audit entries); for a known phone the very same
registration is done for a stand-in inside a savepoint and rolled back, and when she already
has her place in the run, the stand-in's seat is rehearsed too. Same queries, same writes,
same hashing and encryption; `tests/test_same_answer.py` pins the counts and measures the
time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.core import audit
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry, User
from mamapro.core.text import clean_name
from mamapro.people import services as people
from mamapro.people.models import Circumstance, Consent, ContactChannel, Language, Participant
from mamapro.people.validators import normalise_phone
from mamapro.programs.models import Enrollment, Run
from mamapro.programs.services.enrollment import enroll
from mamapro.public.consent import CONSENT_VERSION
from mamapro.public.models import Application

PAID = Enrollment.SeatType.PAID
FREE = Enrollment.SeatType.FREE
MAX_CHILDREN = 6
# Registered to nobody (+7 700 000 00 00): the stand-in of the rehearsed registration.
STANDIN_PHONE = "+77000000000"


def hold_hours() -> int:
    """How long a seat asked for on the public form is held for the centre's confirmation."""
    return int(getattr(settings, "PUBLIC_SEAT_HOLD_HOURS", 48))


@dataclass(frozen=True)
class ApplicationInput:
    given_name: str
    family_name: str
    phone: str
    language: str
    seat_wanted: str
    circumstances: tuple[str, ...] = ()
    kids_room: bool = False
    children_count: int = 0
    children_ages: str = ""
    contact_channels: tuple[str, ...] = ()
    safe_hours_from: dt.time | None = None
    safe_hours_to: dt.time | None = None
    do_not_call: bool = False
    consent_version: str = CONSENT_VERSION


def seat_choices(run: Run) -> list[str]:
    """The places a visitor may ask for on this run.

    A run without a price (the weekly workshop) has one kind of place, open to everyone: its
    paid seats cost nothing, so nobody needs to prove a circumstance for them.
    """
    if run.price == 0:
        if run.paid_seats:
            return [PAID]
        return [FREE] if run.free_seats else []
    return [seat for seat, count in ((PAID, run.paid_seats), (FREE, run.free_seats)) if count]


def open_for_applications(run: Run, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        run.status == Run.Status.PUBLISHED
        and run.starts_on >= today
        and run.centre.is_active
        and bool(seat_choices(run))
    )


def check_application(run: Run, data: ApplicationInput) -> None:
    """Every rule on what was typed, as one ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, label in (("given_name", _("given name")), ("family_name", _("family name"))):
        try:
            # Bidi controls and invisible characters would disguise a name on a roster.
            value = clean_name(getattr(data, name) or "", label)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
            continue
        if not value:
            add(name, _("Please write your name here."))
        elif len(value) > 80:
            add(name, _("Please keep it under 80 characters."))
    try:
        normalise_phone(data.phone)
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    if data.language not in Language.values:
        add("language", _("Choose Kazakh, Russian or English."))
    choices = seat_choices(run)
    if data.seat_wanted not in choices:
        add("seat_wanted", _("Choose one of the places this course offers."))
    unknown = set(data.circumstances) - set(Circumstance.Kind.values)
    if unknown:
        add("circumstances", _("Choose from the list."))
    if data.seat_wanted == FREE and run.price > 0 and not data.circumstances:
        add(
            "circumstances",
            _("To ask for a free place, tick what applies to you; we check it in person."),
        )
    if data.kids_room:
        if not run.kids_room:
            add("kids_room", _("This course has no kids' room."))
        if not 1 <= data.children_count <= MAX_CHILDREN:
            add(
                "children_count",
                _("How many children will come? From 1 to %(max)s.") % {"max": MAX_CHILDREN},
            )
    if len(data.children_ages) > 60:
        add("children_ages", _("Please keep it under 60 characters."))
    channels = set(data.contact_channels)
    if channels - set(ContactChannel.values):
        add("contact_channels", _("Choose from the list."))
    elif not channels:
        add("contact_channels", _("Choose at least one way we may contact you."))
    elif data.do_not_call and channels == {ContactChannel.CALL}:
        add(
            "contact_channels",
            _("You asked us not to call: choose another way, such as SMS or WhatsApp."),
        )
    if (data.safe_hours_from is None) != (data.safe_hours_to is None):
        add("safe_hours_to", _("Give both times, or leave both empty."))
    if data.consent_version != CONSENT_VERSION:
        add("consent", _("The consent text has changed; please read it again and tick the box."))
    if errors:
        raise ValidationError(errors)


def _participant_data(data: ApplicationInput, phone: str) -> dict[str, object]:
    channels = [c for c in data.contact_channels if not (data.do_not_call and c == "call")]
    return {
        "given_name": data.given_name,
        "family_name": data.family_name,
        "phone": phone,
        "language": data.language,
        "status": Participant.Status.APPLICANT,
        "contact_channels": channels,
        "safe_hours_from": data.safe_hours_from,
        "safe_hours_to": data.safe_hours_to,
        "do_not_call": data.do_not_call,
    }


def _register(run: Run, data: ApplicationInput, phone: str) -> Participant:
    participant = people.create_participant(
        centre=run.centre,
        data=_participant_data(data, phone),
        circumstances=data.circumstances,
    )
    people.record_consent(
        participant, kind=Consent.Kind.DATA_PROCESSING, version=data.consent_version
    )
    return participant


def _hold_seat(run: Run, participant: Participant) -> Enrollment:
    """Her seat held for the centre (or her place in line); never a confirmed seat."""
    try:
        return enroll(
            run, participant, PAID, source=Enrollment.Source.PUBLIC, hold_hours=hold_hours()
        )
    except Conflict:
        # Enrolled by a coordinator a moment ago; nothing to add.
        found = Enrollment.objects.filter(run=run, participant=participant).first()
        assert found is not None
        return found


def _find(run: Run, phone: str) -> tuple[Participant | None, Enrollment | None]:
    """Her record here and her place in this run, in two queries whether she exists or not."""
    existing = Participant.objects.filter(centre_id=run.centre_id, phone=phone).first()
    current = (
        Enrollment.objects.filter(
            run=run,
            participant_id=existing.pk if existing is not None else 0,
            status__in=Enrollment.ACTIVE,
        )
        .order_by("-id")
        .first()
    )
    return existing, current


def _register_or_rehearse(
    run: Run, data: ApplicationInput, phone: str
) -> tuple[Participant, bool, Enrollment | None]:
    """Her record (registered now if new), whether it existed, and her place in this run."""
    existing, current = _find(run, phone)
    wants_seat = data.seat_wanted == PAID
    rehearsal = transaction.savepoint()
    try:
        registered = _register(run, data, STANDIN_PHONE if existing is not None else phone)
        if existing is not None and wants_seat and current is not None:
            _hold_seat(run, registered)  # she has her place: the stand-in's is rehearsed
    except ValidationError as exc:
        transaction.savepoint_rollback(rehearsal)
        if existing is not None:
            if set(getattr(exc, "error_dict", {})) != {"phone"}:
                raise  # what a new woman typing this would be told, she is told too
            # The stand-in's number was taken after all: the rehearsal is only work.
            registered = existing
        elif "phone" in getattr(exc, "error_dict", {}):
            # A second application with the same phone won the race by an instant: she is
            # a repeat after all (and must not be told "this phone is already registered").
            existing, current = _find(run, phone)
            if existing is None:
                raise
        else:
            raise
    else:
        if existing is not None:
            transaction.savepoint_rollback(rehearsal)
        else:
            transaction.savepoint_commit(rehearsal)
    participant = existing if existing is not None else registered
    if wants_seat and current is None:
        current = _hold_seat(run, participant)
    return participant, existing is not None, current


def apply(run: Run, data: ApplicationInput) -> Application:
    """Record an application, her held seat or place in line, and (when new) her record."""
    # The run as it is now: it may have closed since the visitor opened the form.
    run = Run.objects.select_related("centre", "course").get(pk=run.pk)
    check_application(run, data)
    if not open_for_applications(run):
        raise ValidationError({"run": _("Applications for this course are closed.")})
    phone = normalise_phone(data.phone)
    with transaction.atomic():
        participant, repeat, enrollment = _register_or_rehearse(run, data, phone)
        channels = _participant_data(data, phone)["contact_channels"]
        application = Application.objects.create(
            centre_id=run.centre_id,
            run=run,
            participant=participant,
            enrollment=enrollment,
            seat_wanted=data.seat_wanted,
            stated_circumstances=sorted(set(data.circumstances)),
            kids_room=data.kids_room,
            children_count=data.children_count if data.kids_room else 0,
            children_ages=" ".join(data.children_ages.split()) if data.kids_room else "",
            is_repeat=repeat,
            given_name=clean_name(data.given_name),
            family_name=clean_name(data.family_name),
            language=data.language,
            contact_channels=channels,
            safe_hours_from=data.safe_hours_from,
            safe_hours_to=data.safe_hours_to,
            do_not_call=data.do_not_call,
            consent_version=data.consent_version,
        )
        audit.record(
            AuditEntry.Action.CREATE,
            application,
            fields=_given_fields(data),
            details={
                "run": run.pk,
                "participant": participant.pk,
                "seat_wanted": data.seat_wanted,
                "repeat": repeat,
                "enrollment": enrollment.pk if enrollment else None,
            },
        )
    return application


def _given_fields(data: ApplicationInput) -> Iterable[str]:
    given = {"given_name", "family_name", "phone", "language", "seat_wanted", "contact_channels"}
    if data.circumstances:
        given.add("stated_circumstances")
    if data.kids_room:
        given |= {"kids_room", "children_count"}
    if data.children_ages:
        given.add("children_ages")
    if data.safe_hours_from is not None:
        given |= {"safe_hours_from", "safe_hours_to"}
    if data.do_not_call:
        given.add("do_not_call")
    return given


def mark_handled(application: Application, *, actor: User | None = None) -> bool:
    """The coordinator has dealt with it; False when someone else did a moment ago."""
    with transaction.atomic():
        done = Application.objects.filter(pk=application.pk, handled_at__isnull=True).update(
            handled_at=timezone.now(), handled_by=actor
        )
        if done:
            audit.record(AuditEntry.Action.UPDATE, application, fields=["handled_at"], actor=actor)
    return bool(done)
