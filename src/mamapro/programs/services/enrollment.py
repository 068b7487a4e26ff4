"""Seats, waitlists and offers.

Invariant, under any concurrency, on SQLite and PostgreSQL: for each run and seat type,
confirmed seats plus live offers never exceed the seats of that type. Every action that can
take a seat runs inside `locked_run`: lock the run, recount from the enrollment rows, write.

A waitlist per seat type, in arrival order. A freed seat becomes an offer to the first woman
waiting; the offer holds the seat until she accepts, declines, or it expires (the run's
`offer_hours`), and then passes on.

A seat asked for through the public form is never confirmed by the form: `enroll(...,
hold_hours=...)` gives it to her as an offer held for the centre (status `offered`, source
`public`) that lasts `hold_hours`. It counts against the seats like any offer; the
coordinator confirms it (`accept_offer`) once she has spoken to her on a safe channel or
she has paid, or it lapses and `mamapro programs tick` passes it to the next in line.
Anyone who knows her phone can fill in that form; only the centre can give her a seat.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.core import audit
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry, User
from mamapro.people.models import Child, Participant
from mamapro.programs import locking, signals
from mamapro.programs.locking import locked_run
from mamapro.programs.models import Enrollment, Fee, KidsRoomRequest, Run, SeatChange

PAID = Enrollment.SeatType.PAID
FREE = Enrollment.SeatType.FREE
Status = Enrollment.Status


@dataclass(frozen=True)
class SeatCounts:
    paid_seats: int
    free_seats: int
    paid_confirmed: int
    free_confirmed: int
    paid_offered: int
    free_offered: int
    paid_waitlist: int
    free_waitlist: int

    def taken(self, seat_type: str) -> int:
        if seat_type == PAID:
            return self.paid_confirmed + self.paid_offered
        return self.free_confirmed + self.free_offered

    def left(self, seat_type: str) -> int:
        seats = self.paid_seats if seat_type == PAID else self.free_seats
        return max(0, seats - self.taken(seat_type))

    def waiting(self, seat_type: str) -> int:
        return self.paid_waitlist if seat_type == PAID else self.free_waitlist


def seat_counts(run: Run) -> SeatCounts:
    """Counted from the enrollment rows (one query); never from a stored counter."""
    counts: Counter[tuple[str, str]] = Counter()
    # Counted by the database (at most six rows back): this runs inside the run's lock.
    rows = (
        Enrollment.objects.filter(run=run, status__in=[*Enrollment.HOLDS_SEAT, Status.WAITLISTED])
        .values_list("seat_type", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for seat_type, status, n in rows:
        counts[(seat_type, status)] = n
    return SeatCounts(
        paid_seats=run.paid_seats,
        free_seats=run.free_seats,
        paid_confirmed=counts[(PAID, Status.CONFIRMED)],
        free_confirmed=counts[(FREE, Status.CONFIRMED)],
        paid_offered=counts[(PAID, Status.OFFERED)],
        free_offered=counts[(FREE, Status.OFFERED)],
        paid_waitlist=counts[(PAID, Status.WAITLISTED)],
        free_waitlist=counts[(FREE, Status.WAITLISTED)],
    )


def waitlist_position(enrollment: Enrollment) -> int | None:
    """Her 1-based place in her run's line for her seat type (one indexed count)."""
    if enrollment.status != Status.WAITLISTED:
        return None
    ahead = Enrollment.objects.filter(
        run_id=enrollment.run_id, seat_type=enrollment.seat_type, status=Status.WAITLISTED
    ).filter(
        Q(queued_at__lt=enrollment.queued_at)
        | Q(queued_at=enrollment.queued_at, id__lt=enrollment.pk)
    )
    return ahead.count() + 1


def waitlist_positions(runs: Iterable[int]) -> dict[int, int]:
    """Enrollment id → 1-based place in its run's waitlist for that seat type (one query)."""
    positions: dict[int, int] = {}
    place: Counter[tuple[int, str]] = Counter()
    waiting = (
        Enrollment.objects.filter(run_id__in=list(runs), status=Status.WAITLISTED)
        .order_by("run_id", "seat_type", "queued_at", "id")
        .values_list("id", "run_id", "seat_type")
    )
    for enrollment_id, run_id, seat_type in waiting:
        place[(run_id, seat_type)] += 1
        positions[enrollment_id] = place[(run_id, seat_type)]
    return positions


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _record(action: str, enrollment: Enrollment, actor: User | None, **details: object) -> None:
    audit.record(
        action,
        enrollment,
        details={
            "run": enrollment.run_id,
            "seat_type": enrollment.seat_type,
            "status": enrollment.status,
            **details,
        },
        actor=actor,
    )


def _confirm(enrollment: Enrollment, run: Run, now: dt.datetime) -> None:
    enrollment.status = Status.CONFIRMED
    enrollment.confirmed_at = now
    enrollment.offered_at = enrollment.offer_expires_at = None
    is_new = enrollment._state.adding
    enrollment.save()
    if enrollment.seat_type == PAID and run.price > 0:
        # The run is locked: nobody else can be making this fee, so no get_or_create savepoint;
        # a brand-new enrollment has none to look for.
        fee = None if is_new else Fee.objects.filter(enrollment=enrollment).first()
        if fee is None:
            Fee.objects.create(
                enrollment=enrollment,
                centre_id=run.centre_id,
                amount=run.price,
                currency=run.currency,
            )
        elif fee.status == Fee.Status.WAIVED:
            # Back on a paid seat after giving one up: the fee is due again (a fee she paid
            # before stays paid).
            fee.status, fee.note, fee.amount, fee.paid_at = Fee.Status.DUE, "", run.price, None
            fee.save()


def _hold(enrollment: Enrollment, now: dt.datetime, hours: int) -> None:
    """The seat is hers until it expires, pending the centre's confirmation (no fee yet)."""
    enrollment.status = Status.OFFERED
    enrollment.offered_at = now
    enrollment.offer_expires_at = now + dt.timedelta(hours=hours)
    enrollment.confirmed_at = None
    enrollment.save()


def _offer_free_seats(
    run: Run, seat_type: str, now: dt.datetime, actor: User | None
) -> list[Enrollment]:
    """Give each free seat of this type to the next woman waiting, as an offer. Run is locked."""
    left = seat_counts(run).left(seat_type)
    if left <= 0:
        return []
    offered = []
    waiting = Enrollment.objects.filter(
        run=run, seat_type=seat_type, status=Status.WAITLISTED
    ).order_by("queued_at", "id")[:left]
    for enrollment in waiting:
        enrollment.status = Status.OFFERED
        enrollment.offered_at = now
        enrollment.offer_expires_at = now + dt.timedelta(hours=run.offer_hours)
        enrollment.save()
        _record(AuditEntry.Action.UPDATE, enrollment, actor, event="offered")
        signals.offer_made.send(sender=Enrollment, enrollment=enrollment, now=now)
        offered.append(enrollment)
    return offered


def _check_can_enroll(run: Run, participant: Participant, seat_type: str, today: dt.date) -> None:
    if seat_type not in Enrollment.SeatType.values:
        raise ValidationError({"seat_type": _("Choose a paid or a free seat.")})
    if run.status != Run.Status.PUBLISHED:
        raise ValidationError({"run": _("This run is not open for enrollment.")})
    if run.ends_on < today:
        raise ValidationError({"run": _("This run has already ended.")})
    if participant.centre_id != run.centre_id:
        raise ValidationError(
            {
                "participant": _(
                    "She is registered at another centre; register her at this one first."
                )
            }
        )
    if seat_type == FREE and not participant.eligibility_verified:
        raise ValidationError(
            {
                "seat_type": _(
                    "A free seat needs a verified circumstance; verify her eligibility first "
                    "or choose a paid seat."
                )
            }
        )
    if run.seats(seat_type) == 0 and seat_type == PAID:
        raise ValidationError({"seat_type": _("This run has no paid seats.")})


def enroll(
    run: Run,
    participant: Participant,
    seat_type: str,
    *,
    actor: User | None = None,
    source: str = Enrollment.Source.STAFF,
    kids_room_children: Iterable[Child] = (),
    now: dt.datetime | None = None,
    participant_is_fresh: bool = False,
    hold_hours: int | None = None,
) -> Enrollment:
    """Confirm her seat if one of that type is free and nobody is waiting; else waitlist her.

    With `hold_hours` the free seat is held for the centre's confirmation instead (an offer
    that expires), never confirmed here.
    """
    if not participant_is_fresh:
        # Her record as it is now (eligibility may have been verified a moment ago); read
        # before the lock, to keep the time the run is locked short.
        participant = Participant.objects.get(pk=participant.pk)
    with locked_run(run.pk) as run:
        # Arrival is when she gets the lock: the line's order is the order seats were decided.
        now = _now(now)
        _check_can_enroll(run, participant, seat_type, timezone.localdate(now))
        existing = Enrollment.objects.filter(run=run, participant=participant).first()
        if existing is not None and existing.status in Enrollment.ACTIVE:
            raise Conflict(
                _("She is already enrolled in this run (%(status)s).")
                % {"status": existing.get_status_display()}
            )
        counts = seat_counts(run)
        locking.between_count_and_write()
        # No savepoint under the lock's transaction (the lock is held while this runs); a
        # transaction of its own when the concurrency test has switched the lock off.
        with transaction.atomic(savepoint=False):
            enrollment = existing or Enrollment(
                run=run, centre_id=run.centre_id, participant=participant
            )
            had_no_fee = existing is None
            enrollment.seat_type = seat_type
            enrollment.source = source
            enrollment.queued_at = now
            enrollment.end_reason = ""
            enrollment.ended_at = None
            enrollment.kids_room_requested = False
            if counts.left(seat_type) > 0 and counts.waiting(seat_type) == 0:
                if hold_hours is None:
                    _confirm(enrollment, run, now)
                else:
                    _hold(enrollment, now, hold_hours)
            else:
                enrollment.status = Status.WAITLISTED
                enrollment.save()
                # She joins at the end of this line; the answer needs no second count.
                enrollment.waitlist_position = counts.waiting(seat_type) + 1  # type: ignore[attr-defined]
            if had_no_fee and not Enrollment.fee.is_cached(enrollment):
                # Known to have no fee: let `enrollment.fee` say so without asking the database.
                Enrollment.fee.related.set_cached_value(enrollment, None)
            _request_kids_room(enrollment, run, participant, kids_room_children)
            _record(
                AuditEntry.Action.CREATE,
                enrollment,
                actor,
                event="held" if enrollment.status == Status.OFFERED else "enrolled",
            )
            _announce(enrollment, now)
            if enrollment.status == Status.CONFIRMED:
                signals.enrollment_confirmed.send(sender=Enrollment, enrollment=enrollment, now=now)
    return enrollment


def _announce(enrollment: Enrollment, now: dt.datetime) -> None:
    """Tell the kids' room (signals.py) when a seat with children asked for it changes."""
    if not enrollment.kids_room_requested:
        return
    if enrollment.status == Status.CONFIRMED:
        signals.seat_confirmed.send(sender=Enrollment, enrollment=enrollment, now=now)
    elif enrollment.status in (Status.WITHDRAWN, Status.DROPPED):
        signals.seat_ended.send(sender=Enrollment, enrollment=enrollment, now=now)


def _request_kids_room(
    enrollment: Enrollment, run: Run, participant: Participant, children: Iterable[Child]
) -> None:
    children = list(children)
    if not children:
        return
    if not run.kids_room:
        raise ValidationError({"kids_room": _("This run does not offer the kids' room.")})
    if any(child.parent_id != participant.pk for child in children):
        raise ValidationError({"kids_room": _("Only her own children can be booked.")})
    enrollment.kids_room_requested = True
    enrollment.save(update_fields=["kids_room_requested"])
    KidsRoomRequest.objects.bulk_create(
        [
            KidsRoomRequest(enrollment=enrollment, child=c, centre_id=run.centre_id)
            for c in children
        ],
        ignore_conflicts=True,
    )


def _end(enrollment: Enrollment, status: str, reason: str, now: dt.datetime) -> None:
    enrollment.status = status
    enrollment.end_reason = reason
    enrollment.ended_at = now
    enrollment.offered_at = enrollment.offer_expires_at = None
    enrollment.save()
    # Nobody is chased for a seat she gave back; a fee already paid stays on record.
    Fee.objects.filter(enrollment=enrollment, status=Fee.Status.DUE).update(
        status=Fee.Status.WAIVED, note=str(enrollment.get_end_reason_display())
    )
    _announce(enrollment, now)


def withdraw(
    enrollment: Enrollment,
    *,
    actor: User | None = None,
    reason: str = Enrollment.EndReason.WITHDREW,
    status: str = Status.WITHDRAWN,
    only_from: tuple[str, ...] = (Status.CONFIRMED, Status.OFFERED, Status.WAITLISTED),
    now: dt.datetime | None = None,
) -> Enrollment:
    """She leaves the run (or her place in line); a seat she held is offered to the next."""
    now = _now(now)
    with locked_run(enrollment.run_id) as run, transaction.atomic(savepoint=False):
        enrollment = Enrollment.objects.get(pk=enrollment.pk)
        if enrollment.status not in only_from:
            if only_from == (Status.OFFERED,):
                raise Conflict(_("There is no open offer to decline."))
            raise Conflict(
                _("This enrollment has already ended (%(status)s).")
                % {"status": enrollment.get_status_display()}
            )
        held_seat = enrollment.status in Enrollment.HOLDS_SEAT
        _end(enrollment, status, reason, now)
        _record(AuditEntry.Action.UPDATE, enrollment, actor, event="withdrawn", reason=reason)
        if held_seat:
            _offer_free_seats(run, enrollment.seat_type, now, actor)
    return enrollment


def accept_offer(
    enrollment: Enrollment, *, actor: User | None = None, now: dt.datetime | None = None
) -> Enrollment:
    now = _now(now)
    with locked_run(enrollment.run_id) as run, transaction.atomic(savepoint=False):
        enrollment = Enrollment.objects.get(pk=enrollment.pk)
        if enrollment.status != Status.OFFERED:
            raise Conflict(_("There is no open offer to accept."))
        assert enrollment.offer_expires_at is not None
        if enrollment.offer_expires_at <= now:
            raise Conflict(_("This offer has expired; the seat has passed to the next woman."))
        _confirm(enrollment, run, now)
        _record(AuditEntry.Action.UPDATE, enrollment, actor, event="offer_accepted")
        _announce(enrollment, now)
        signals.enrollment_confirmed.send(sender=Enrollment, enrollment=enrollment, now=now)
    return enrollment


def decline_offer(
    enrollment: Enrollment, *, actor: User | None = None, now: dt.datetime | None = None
) -> Enrollment:
    # The status is checked under the run's lock (in withdraw): an offer accepted a moment
    # ago must not be withdrawn by a late "decline".
    return withdraw(
        enrollment,
        actor=actor,
        reason=Enrollment.EndReason.DECLINED_OFFER,
        only_from=(Status.OFFERED,),
        now=now,
    )


def expire_offers(*, now: dt.datetime | None = None) -> int:
    """Offers past their time lapse (dropped), and each seat passes to the next in line."""
    now = _now(now)
    expired = 0
    run_ids = set(
        Enrollment.objects.filter(status=Status.OFFERED, offer_expires_at__lte=now).values_list(
            "run_id", flat=True
        )
    )
    for run_id in sorted(run_ids):
        with locked_run(run_id) as run, transaction.atomic(savepoint=False):
            lapsed = list(
                Enrollment.objects.filter(run=run, status=Status.OFFERED, offer_expires_at__lte=now)
            )
            for enrollment in lapsed:
                _end(enrollment, Status.DROPPED, Enrollment.EndReason.OFFER_EXPIRED, now)
                _record(AuditEntry.Action.UPDATE, enrollment, None, event="offer_expired")
            for seat_type in {e.seat_type for e in lapsed}:
                _offer_free_seats(run, seat_type, now, None)
            expired += len(lapsed)
    return expired


def move_seat_type(
    enrollment: Enrollment,
    seat_type: str,
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Enrollment:
    """A coordinator moves a woman holding a seat to the other seat type, if one is free."""
    now = _now(now)
    with locked_run(enrollment.run_id) as run, transaction.atomic(savepoint=False):
        enrollment = Enrollment.objects.select_related("participant").get(pk=enrollment.pk)
        if enrollment.seat_type == seat_type:
            return enrollment
        if enrollment.status not in (Status.CONFIRMED, Status.WAITLISTED):
            raise Conflict(_("Only a confirmed or waiting enrollment can change seat type."))
        if seat_type == FREE and not enrollment.participant.eligibility_verified:
            raise ValidationError({"seat_type": _("A free seat needs a verified circumstance.")})
        counts = seat_counts(run)
        old = enrollment.seat_type
        if enrollment.status == Status.CONFIRMED:
            if counts.left(seat_type) == 0 or counts.waiting(seat_type) > 0:
                raise Conflict(
                    _("No %(seat)s is free.")
                    % {"seat": Enrollment.SeatType(seat_type).label.lower()}
                )
            enrollment.seat_type = seat_type
            enrollment.save()
            if seat_type == FREE:
                Fee.objects.filter(enrollment=enrollment, status=Fee.Status.DUE).update(
                    status=Fee.Status.WAIVED, note=str(_("Moved to a free seat"))
                )
            else:
                _confirm(enrollment, run, now)
            _offer_free_seats(run, old, now, actor)
        else:
            # Waiting: she joins the other line at its end, and gets a seat at once if one of
            # that type stands free with nobody before her.
            enrollment.seat_type = seat_type
            enrollment.queued_at = now
            enrollment.save()
            _offer_free_seats(run, seat_type, now, actor)
        _record(AuditEntry.Action.UPDATE, enrollment, actor, event="seat_type_changed", was=old)
    return enrollment


def change_seats(
    run: Run,
    *,
    paid_seats: int,
    free_seats: int,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Run:
    """Set a run's seat counts; never below what is already confirmed or offered."""
    now = _now(now)
    errors = {}
    for name, value in (("paid_seats", paid_seats), ("free_seats", free_seats)):
        if not isinstance(value, int) or value < 0:
            errors[name] = _("Enter a whole number, 0 or more.")
    if errors:
        raise ValidationError(errors)
    with locked_run(run.pk) as run, transaction.atomic(savepoint=False):
        counts = seat_counts(run)
        for name, value, seat_type in (
            ("paid_seats", paid_seats, PAID),
            ("free_seats", free_seats, FREE),
        ):
            if value < counts.taken(seat_type):
                errors[name] = _(
                    "%(taken)s seats of this type are already confirmed or offered; "
                    "withdraw someone first or keep at least that many."
                ) % {"taken": counts.taken(seat_type)}
        if errors:
            raise ValidationError(errors)
        paid_delta, free_delta = paid_seats - run.paid_seats, free_seats - run.free_seats
        if not (paid_delta or free_delta):
            return run
        run.paid_seats, run.free_seats = paid_seats, free_seats
        run.save(update_fields=["paid_seats", "free_seats"])
        _seat_change(run, SeatChange.Kind.EDIT, paid_delta, free_delta, "", actor)
        for seat_type in (PAID, FREE):
            _offer_free_seats(run, seat_type, now, actor)
    return run


def _seat_change(
    run: Run, kind: str, paid: int, free: int, sponsor: str, actor: User | None
) -> None:
    SeatChange.objects.create(
        run=run,
        centre_id=run.centre_id,
        kind=kind,
        paid_delta=paid,
        free_delta=free,
        sponsor=sponsor,
        created_by=actor,
    )
    audit.record(
        AuditEntry.Action.UPDATE,
        run,
        fields=["paid_seats", "free_seats"],
        details={"event": kind, "paid_delta": paid, "free_delta": free},
        actor=actor,
    )


def fund_free_seats(
    run: Run, *, seats: int, sponsor: str, actor: User | None = None, now: dt.datetime | None = None
) -> Run:
    """A sponsor pays for extra free seats; women waiting for a free seat get offers at once."""
    now = _now(now)
    sponsor = (sponsor or "").strip()
    errors = {}
    if not isinstance(seats, int) or not 1 <= seats <= 100:
        errors["seats"] = _("Enter how many seats, from 1 to 100.")
    if not sponsor:
        errors["sponsor"] = _("Name the sponsor.")
    if errors:
        raise ValidationError(errors)
    with locked_run(run.pk) as run, transaction.atomic(savepoint=False):
        run.free_seats += seats
        run.save(update_fields=["free_seats"])
        _seat_change(run, SeatChange.Kind.SPONSOR, 0, seats, sponsor, actor)
        _offer_free_seats(run, FREE, now, actor)
    return run


def release_unsold_paid_seats(
    run: Run, *, actor: User | None = None, now: dt.datetime | None = None
) -> int:
    """Close to the start, paid seats nobody bought become free seats. Returns how many."""
    now = _now(now)
    with locked_run(run.pk) as run, transaction.atomic(savepoint=False):
        if run.release_days_before is None or run.status != Run.Status.PUBLISHED:
            return 0
        if timezone.localdate(now) < run.starts_on - dt.timedelta(days=run.release_days_before):
            return 0
        counts = seat_counts(run)
        if counts.paid_waitlist:
            return 0  # women are waiting to pay: those seats are not unsold
        unsold = counts.left(PAID)
        if unsold == 0:
            return 0
        run.paid_seats -= unsold
        run.free_seats += unsold
        run.save(update_fields=["paid_seats", "free_seats"])
        _seat_change(run, SeatChange.Kind.RELEASE, -unsold, unsold, "", actor)
        _offer_free_seats(run, FREE, now, actor)
    return unsold


def release_due_paid_seats(*, now: dt.datetime | None = None) -> int:
    """The daily sweep: release unsold paid seats of every run whose release day has come."""
    now = _now(now)
    today = timezone.localdate(now)
    released = 0
    candidates = Run.objects.filter(
        status=Run.Status.PUBLISHED, release_days_before__isnull=False, starts_on__gte=today
    ).only("id", "starts_on", "release_days_before")
    for run in candidates:
        assert run.release_days_before is not None
        if today >= run.starts_on - dt.timedelta(days=run.release_days_before):
            released += release_unsold_paid_seats(run, now=now)
    return released


def set_fee_status(fee: Fee, status: str, *, actor: User | None = None) -> Fee:
    if status not in Fee.Status.values:
        raise ValidationError({"status": _("Choose due, paid or waived.")})
    with transaction.atomic():
        fee = Fee.objects.select_for_update().get(pk=fee.pk)
        if fee.status == status:
            return fee
        fee.status = status
        fee.paid_at = timezone.now() if status == Fee.Status.PAID else None
        fee.save()
        audit.record(
            AuditEntry.Action.UPDATE,
            fee,
            fields=["status"],
            details={"status": status},
            actor=actor,
        )
    return fee
