"""The seat service: confirm while seats last, waitlists in arrival order, offers that expire
and pass on, seat-type moves, released and sponsored seats, fees, and bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry
from mamapro.programs.models import Enrollment, Fee, KidsRoomRequest, SeatChange
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db


def _statuses(run, seat_type="paid") -> list[str]:
    return list(
        Enrollment.objects.filter(run=run, seat_type=seat_type)
        .order_by("queued_at", "id")
        .values_list("status", flat=True)
    )


def test_confirms_while_seats_last_then_waitlists_in_order(make_run, make_women) -> None:
    run = make_run(paid_seats=2, free_seats=0)
    women = make_women(5)
    results = [seats.enroll(run, w, "paid") for w in women]
    assert [e.status for e in results] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
        "waitlisted",
    ]
    positions = seats.waitlist_positions([run.pk])
    assert [positions.get(e.pk) for e in results] == [None, None, 1, 2, 3]
    counts = seats.seat_counts(run)
    assert (counts.paid_confirmed, counts.paid_waitlist, counts.left("paid")) == (2, 3, 0)
    assert (
        AuditEntry.objects.filter(object_type="programs.enrollment", action="create").count() == 5
    )


def test_paid_seat_with_a_price_makes_a_fee_due(make_run, make_women) -> None:
    run = make_run(price=Decimal("15000.00"))
    enrollment = seats.enroll(run, make_women(1)[0], "paid")
    assert enrollment.fee.status == "due"
    assert enrollment.fee.amount == Decimal("15000.00")
    assert enrollment.fee.currency == "KZT"
    seats.withdraw(enrollment)
    enrollment.fee.refresh_from_db()
    assert enrollment.fee.status == "waived", "nobody is chased for a seat she gave back"


def test_free_seat_needs_verified_eligibility(make_run, make_women) -> None:
    run = make_run()
    (unverified,) = make_women(1)
    with pytest.raises(ValidationError) as caught:
        seats.enroll(run, unverified, "free")
    assert "seat_type" in caught.value.message_dict
    assert not Enrollment.objects.exists()
    (verified,) = make_women(1, eligible=True)
    assert seats.enroll(run, verified, "free").status == "confirmed"
    assert not Fee.objects.exists(), "free seats owe nothing"


def test_enrolling_twice_is_a_conflict_and_writes_nothing(make_run, make_women) -> None:
    run = make_run()
    (woman,) = make_women(1)
    seats.enroll(run, woman, "paid")
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict, match="already enrolled"):
        seats.enroll(run, woman, "paid")
    assert Enrollment.objects.count() == 1
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"starts_in": -30, "days": 10}, "run"),
        ({"status": "draft"}, "run"),
        ({"status": "cancelled"}, "run"),
    ],
)
def test_runs_not_open_refuse(make_run, make_women, fields, field) -> None:
    run = make_run(**fields)
    with pytest.raises(ValidationError) as caught:
        seats.enroll(run, make_women(1)[0], "paid")
    assert field in caught.value.message_dict
    assert not Enrollment.objects.exists()


def test_a_woman_of_another_centre_is_refused(make_run, make_women, astana) -> None:
    run = make_run()
    (elsewhere,) = make_women(1, centre=astana)
    with pytest.raises(ValidationError) as caught:
        seats.enroll(run, elsewhere, "paid")
    assert "participant" in caught.value.message_dict


def test_withdrawal_offers_the_seat_to_the_first_waiting(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0, offer_hours=48)
    first, second, third = (seats.enroll(run, w, "paid") for w in make_women(3))
    now = timezone.now()
    seats.withdraw(first, now=now)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == "offered"
    assert second.offer_expires_at == now + dt.timedelta(hours=48)
    assert third.status == "waitlisted"
    assert seats.waitlist_positions([run.pk]) == {third.pk: 1}
    assert seats.seat_counts(run).taken("paid") == 1, "the offer holds the seat"


def test_a_new_woman_cannot_jump_an_open_offer(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    first, _second = (seats.enroll(run, w, "paid") for w in make_women(2))
    seats.withdraw(first)
    late = seats.enroll(run, make_women(1)[0], "paid")
    assert late.status == "waitlisted"


def test_accept_confirms_and_expiry_passes_the_seat_on(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0, offer_hours=24)
    first, second, third = (seats.enroll(run, w, "paid") for w in make_women(3))
    t0 = timezone.now()
    seats.withdraw(first, now=t0)
    assert seats.expire_offers(now=t0 + dt.timedelta(hours=23)) == 0
    assert seats.expire_offers(now=t0 + dt.timedelta(hours=25)) == 1
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, second.end_reason) == ("dropped", "offer_expired")
    assert third.status == "offered"
    with pytest.raises(Conflict, match="expired"):
        seats.accept_offer(third, now=t0 + dt.timedelta(hours=60))
    confirmed = seats.accept_offer(third, now=t0 + dt.timedelta(hours=26))
    assert confirmed.status == "confirmed"
    assert confirmed.fee.status == "due"


def test_declining_passes_the_seat_on(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    first, second, third = (seats.enroll(run, w, "paid") for w in make_women(3))
    seats.withdraw(first)
    second.refresh_from_db()
    seats.decline_offer(second)
    third.refresh_from_db()
    assert third.status == "offered"
    with pytest.raises(Conflict):
        seats.decline_offer(first)


def test_withdrawing_twice_is_a_conflict(make_run, make_women) -> None:
    run = make_run()
    enrollment = seats.enroll(run, make_women(1)[0], "paid")
    seats.withdraw(enrollment)
    with pytest.raises(Conflict, match="already ended"):
        seats.withdraw(enrollment)


def test_re_enrolling_after_withdrawal_joins_the_end_of_the_line(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    a, b = make_women(2)
    first = seats.enroll(run, a, "paid")
    seats.enroll(run, b, "paid")
    seats.withdraw(first)
    again = seats.enroll(run, a, "paid")
    assert again.pk == first.pk
    assert again.status == "waitlisted"


def test_coordinator_moves_an_eligible_woman_to_a_free_seat(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=1)
    (woman,) = make_women(1, eligible=True)
    (waiting,) = make_women(1)
    paid = seats.enroll(run, woman, "paid")
    queued = seats.enroll(run, waiting, "paid")
    moved = seats.move_seat_type(paid, "free")
    assert (moved.seat_type, moved.status) == ("free", "confirmed")
    assert Fee.objects.get(enrollment=moved).status == "waived"
    queued.refresh_from_db()
    assert queued.status == "offered", "the paid seat she left goes to the paid line"
    with pytest.raises(Conflict):
        seats.move_seat_type(queued, "free")  # an open offer is answered first


def test_moving_to_a_free_seat_needs_eligibility(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=1)
    paid = seats.enroll(run, make_women(1)[0], "paid")
    with pytest.raises(ValidationError) as caught:
        seats.move_seat_type(paid, "free")
    assert "seat_type" in caught.value.message_dict


def test_moving_into_a_full_seat_type_is_refused(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=1)
    a, b = make_women(2, eligible=True)
    seats.enroll(run, a, "free")
    paid = seats.enroll(run, b, "paid")
    with pytest.raises(Conflict):
        seats.move_seat_type(paid, "free")


def test_seat_counts_never_go_below_what_is_taken(make_run, make_women) -> None:
    run = make_run(paid_seats=3, free_seats=3)
    for w in make_women(2):
        seats.enroll(run, w, "paid")
    with pytest.raises(ValidationError) as caught:
        seats.change_seats(run, paid_seats=1, free_seats=3)
    assert set(caught.value.message_dict) == {"paid_seats"}
    with pytest.raises(ValidationError) as caught:
        seats.change_seats(run, paid_seats=-1, free_seats=3)
    assert "paid_seats" in caught.value.message_dict
    run = seats.change_seats(run, paid_seats=2, free_seats=5)
    assert (run.paid_seats, run.free_seats) == (2, 5)
    assert SeatChange.objects.get().kind == "edit"


def test_more_seats_go_straight_to_the_waiting(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    _first, second = (seats.enroll(run, w, "paid") for w in make_women(2))
    seats.change_seats(run, paid_seats=2, free_seats=0)
    second.refresh_from_db()
    assert second.status == "offered"


def test_sponsor_funds_extra_free_seats_for_the_waiting(make_run, make_women) -> None:
    run = make_run(paid_seats=0, free_seats=1)
    _a, b, c = (seats.enroll(run, w, "free") for w in make_women(3, eligible=True))
    run = seats.fund_free_seats(run, seats=2, sponsor="Halyk Foundation")
    assert run.free_seats == 3
    assert {e.status for e in Enrollment.objects.filter(pk__in=[b.pk, c.pk])} == {"offered"}
    change = SeatChange.objects.get()
    assert (change.kind, change.free_delta, change.sponsor) == ("sponsor", 2, "Halyk Foundation")
    with pytest.raises(ValidationError) as caught:
        seats.fund_free_seats(run, seats=0, sponsor=" ")
    assert set(caught.value.message_dict) == {"seats", "sponsor"}


def test_unsold_paid_seats_are_released_close_to_the_start(make_run, make_women) -> None:
    run = make_run(paid_seats=4, free_seats=1, starts_in=10, release_days_before=7)
    seats.enroll(run, make_women(1)[0], "paid")
    waiting_free = [seats.enroll(run, w, "free") for w in make_women(3, eligible=True)]
    now = timezone.now()
    assert seats.release_unsold_paid_seats(run, now=now) == 0, "too early"
    later = now + dt.timedelta(days=4)
    assert seats.release_due_paid_seats(now=later) == 3
    run.refresh_from_db()
    assert (run.paid_seats, run.free_seats) == (1, 4)
    statuses = [Enrollment.objects.get(pk=e.pk).status for e in waiting_free]
    assert statuses == ["confirmed", "offered", "offered"]
    assert seats.release_due_paid_seats(now=later) == 0, "idempotent"


def test_paid_waitlist_means_the_paid_seats_are_not_unsold(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0, starts_in=3, release_days_before=7)
    for w in make_women(2):
        seats.enroll(run, w, "paid")
    assert seats.release_unsold_paid_seats(run) == 0


def test_kids_room_request_is_recorded_for_her_own_children(
    make_run, survivor, child, make_women
) -> None:
    from mamapro.people import services as people

    people.update_participant(survivor, data={}, eligibility_verified=True)
    run = make_run(kids_room=True)
    enrollment = seats.enroll(run, survivor, "free", kids_room_children=[child])
    assert enrollment.kids_room_requested
    assert KidsRoomRequest.objects.get().child == child
    other_run = make_run(kids_room=False)
    with pytest.raises(ValidationError) as caught:
        seats.enroll(other_run, survivor, "free", kids_room_children=[child])
    assert "kids_room" in caught.value.message_dict
    assert not Enrollment.objects.filter(run=other_run).exists(), "nothing half written"


def test_fee_status_changes_are_audited(make_run, make_women, personas) -> None:
    run = make_run()
    enrollment = seats.enroll(run, make_women(1)[0], "paid")
    fee = seats.set_fee_status(enrollment.fee, "paid", actor=personas["manager"])
    assert fee.paid_at is not None
    entry = AuditEntry.objects.filter(object_type="programs.fee").get()
    assert entry.actor == personas["manager"]
    with pytest.raises(ValidationError):
        seats.set_fee_status(fee, "refunded")


def test_a_late_decline_cannot_undo_an_accepted_offer(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    first, second = (seats.enroll(run, w, "paid") for w in make_women(2))
    seats.withdraw(first)
    offer = Enrollment.objects.get(pk=second.pk)
    seats.accept_offer(offer)
    with pytest.raises(Conflict, match="no open offer"):
        seats.decline_offer(offer)  # the stale object still says "offered"
    assert Enrollment.objects.get(pk=second.pk).status == "confirmed"
