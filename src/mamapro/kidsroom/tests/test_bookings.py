"""Bookings: ratios and capacity counted over time, waiting lists, and bad input refused with
a message and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mamapro.centres.models import Room
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Booking, Rules
from mamapro.kidsroom.tests.conftest import at
from mamapro.people import services as people
from mamapro.programs.models import Enrollment
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("standard", "high", "tutors"),
    [(0, 0, 0), (1, 0, 1), (4, 0, 1), (5, 0, 2), (0, 2, 1), (0, 3, 2), (2, 1, 1), (3, 1, 2)],
)
def test_tutors_needed_by_support_level(standard: int, high: int, tutors: int) -> None:
    assert kids.Ratio(4, 2).tutors_needed(standard, high) == tutors


def test_one_tutor_takes_four_children_and_the_fifth_is_told_what_is_missing(
    session, on_shift, make_mother
) -> None:
    on_shift(1)
    for _ in range(4):
        assert kids.book(session, make_mother()).status == "booked"
    fifth = make_mother()
    with pytest.raises(Conflict, match="One more tutor is needed 14:00–16:00"):
        kids.book(session, fifth)
    assert not Booking.objects.filter(child=fifth).exists()


def test_high_support_children_count_double(session, on_shift, make_mother) -> None:
    on_shift(1)
    kids.book(session, make_mother("high"))
    kids.book(session, make_mother("high"))
    with pytest.raises(Conflict, match="One more tutor"):
        kids.book(session, make_mother())
    on_shift(1)
    kids.book(session, make_mother())  # 2 high + 1 standard with two tutors


def test_the_centre_sets_its_own_ratio(almaty, session, on_shift, make_mother) -> None:
    Rules.objects.create(centre=almaty, children_per_tutor=2, high_support_per_tutor=1)
    on_shift(1)
    kids.book(session, make_mother())
    kids.book(session, make_mother())
    with pytest.raises(Conflict, match="One more tutor"):
        kids.book(session, make_mother())


def test_the_room_never_takes_more_children_than_its_capacity(
    kids_room, session, on_shift, make_mother
) -> None:
    on_shift(3)
    for _ in range(kids_room.capacity):
        kids.book(session, make_mother())
    with pytest.raises(Conflict, match="The kids' room is full 14:00–16:00: it takes 6 children"):
        kids.book(session, make_mother())


def test_overlapping_sessions_of_different_runs_share_the_room_and_its_tutors(
    make_run, make_session, on_shift, make_mother
) -> None:
    other_run = make_run(starts_in=0, days=14, kids_room=True, price="0.00")
    morning = make_session(at(10), at(13))
    noon = make_session(at(12), at(14), run=other_run)
    on_shift(1, at(10), at(14))
    for _ in range(3):
        kids.book(morning, make_mother())
    kids.book(noon, make_mother(run=other_run))
    with pytest.raises(Conflict, match="One more tutor is needed 12:00–13:00"):
        kids.book(noon, make_mother(run=other_run))


def test_a_tutor_who_leaves_early_leaves_the_end_of_the_session_uncovered(
    session, on_shift, make_mother
) -> None:
    on_shift(1, at(13), at(15))
    with pytest.raises(Conflict, match="One more tutor is needed 15:00–16:00"):
        kids.book(session, make_mother())


def test_a_confirmed_seat_books_her_child_for_every_session_to_come(
    kids_run, kids_room, make_session, on_shift, make_participant
) -> None:
    sessions = [
        make_session(
            at(14, day=at(0).date() + dt.timedelta(days=d)),
            at(16, day=at(0).date() + dt.timedelta(days=d)),
        )
        for d in range(3)
    ]
    on_shift(1, at(8), at(20, day=at(0).date() + dt.timedelta(days=3)))
    mother = make_participant(None, given_name="Гүлнар", phone="+77071112233")
    child = people.add_child(mother, data={"given_name": "Айша", "birth_date": dt.date(2021, 3, 1)})
    enrollment = seats.enroll(kids_run, mother, "paid", kids_room_children=[child])
    assert enrollment.status == "confirmed"
    booked = Booking.objects.filter(child=child, status="booked")
    assert sorted(booked.values_list("session_id", flat=True)) == [s.pk for s in sessions]
    assert {b.enrollment_id for b in booked} == {enrollment.pk}
    # She withdraws: her child's places are freed.
    seats.withdraw(enrollment)
    assert set(Booking.objects.filter(child=child).values_list("status", flat=True)) == {
        "cancelled"
    }


def test_without_a_tutor_her_child_waits_and_gets_the_place_when_a_tutor_comes(
    kids_run, kids_room, session, on_shift, make_participant
) -> None:
    mother = make_participant(None, given_name="Гүлнар", phone="+77071112233")
    child = people.add_child(mother, data={"given_name": "Айша", "birth_date": dt.date(2021, 3, 1)})
    seats.enroll(kids_run, mother, "paid", kids_room_children=[child])
    booking = Booking.objects.get(child=child, session=session)
    assert booking.status == "waitlisted"
    on_shift(1, at(13), at(17))
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_a_cancelled_place_goes_to_the_first_child_waiting(session, on_shift, make_mother) -> None:
    on_shift(1)
    first = [kids.book(session, make_mother()) for _ in range(4)]
    waiting = [kids.book(session, make_mother(), waitlist=True) for _ in range(2)]
    assert [w.status for w in waiting] == ["waitlisted", "waitlisted"]
    assert waiting[0].shortage.kind == "tutors"
    kids.cancel(first[0])
    statuses = [Booking.objects.get(pk=w.pk).status for w in waiting]
    assert statuses == ["booked", "waitlisted"]


def test_a_shift_cannot_go_while_booked_children_need_it(session, on_shift, make_mother) -> None:
    shift, _spare = on_shift(2)
    for _ in range(5):
        kids.book(session, make_mother())
    with pytest.raises(Conflict, match="One more tutor is needed 14:00–16:00"):
        kids.remove_shift(shift)
    kids.cancel(Booking.objects.filter(session=session)[0])
    kids.remove_shift(shift)


def test_shift_input_is_checked(kids_room, almaty, personas) -> None:
    classroom = Room.objects.get(centre=almaty, kind="classroom")
    with pytest.raises(ValidationError) as caught:
        kids.add_shift(classroom, personas["outsider"], at(16), at(14))
    assert set(caught.value.message_dict) == {"room", "tutor", "ends_at"}


class TestBadInputWritesNothing:
    def _nothing_written(self, before: tuple[int, int]) -> None:
        assert (Booking.objects.count(), AuditEntry.objects.count()) == before

    def _counts(self) -> tuple[int, int]:
        return Booking.objects.count(), AuditEntry.objects.count()

    def test_a_child_from_another_centre(self, session, on_shift, make_participant, astana) -> None:
        on_shift(1)
        mother = make_participant(astana, given_name="Салтанат", phone="+77079998877")
        child = people.add_child(
            mother, data={"given_name": "Нұр", "birth_date": dt.date(2020, 1, 1)}
        )
        before = self._counts()
        with pytest.raises(ValidationError) as caught:
            kids.book(session, child)
        assert caught.value.message_dict["child"] == ["This child is registered at another centre."]
        self._nothing_written(before)

    def test_a_session_her_mother_does_not_attend(self, session, on_shift, make_mother) -> None:
        on_shift(1)
        child = make_mother(enrolled=False)
        before = self._counts()
        with pytest.raises(ValidationError, match="Her mother does not attend this session"):
            kids.book(session, child)
        self._nothing_written(before)

    def test_her_mother_only_waiting_for_a_seat(
        self, kids_run, session, on_shift, make_mother
    ) -> None:
        on_shift(1)
        child = make_mother()
        Enrollment.objects.filter(participant=child.parent).update(status="waitlisted")
        with pytest.raises(ValidationError, match="no confirmed seat"):
            kids.book(session, child)

    def test_a_run_without_the_kids_room(
        self, make_run, make_session, on_shift, make_mother
    ) -> None:
        on_shift(1)
        plain = make_run(starts_in=0, days=14, kids_room=False, price="0.00")
        child = make_mother(run=plain)
        before = self._counts()
        with pytest.raises(Conflict, match="does not offer the kids' room"):
            kids.book(make_session(at(14), at(16), run=plain), child)
        self._nothing_written(before)

    def test_a_cancelled_or_past_session(self, make_session, on_shift, make_mother) -> None:
        child = make_mother()
        cancelled = make_session(at(10), at(12))
        cancelled.cancelled = True
        cancelled.save()
        yesterday = dt.date.today() - dt.timedelta(days=1)
        past = make_session(at(10, day=yesterday), at(12, day=yesterday))
        before = self._counts()
        with pytest.raises(Conflict, match="cancelled"):
            kids.book(cancelled, child)
        with pytest.raises(Conflict, match="This session is over"):
            kids.book(past, child)
        self._nothing_written(before)

    def test_booking_twice(self, session, on_shift, make_mother) -> None:
        on_shift(1)
        child = make_mother()
        kids.book(session, child)
        before = self._counts()
        with pytest.raises(Conflict, match="already booked"):
            kids.book(session, child)
        self._nothing_written(before)


def test_the_message_names_how_many_tutors_are_missing(kids_room, session) -> None:
    shortage = kids.find_shortage(
        kids_room, session.starts_at, session.ends_at, kids.Ratio(4, 2), adding=["high"] * 3
    )
    assert shortage is not None
    assert shortage.message() == "Tutors missing 14:00–16:00: 2."


def test_dropping_a_child_from_the_course_frees_every_session_to_come(
    kids_run, make_session, on_shift, make_participant
) -> None:
    days = [at(0).date() + dt.timedelta(days=d) for d in range(3)]
    sessions = [make_session(at(14, day=d), at(16, day=d)) for d in days]
    on_shift(1, at(8), at(20, day=days[-1]))
    mother = make_participant(None, given_name="Гүлнар", phone="+77071112244")
    child = people.add_child(mother, data={"given_name": "Айша", "birth_date": dt.date(2021, 3, 1)})
    seats.enroll(kids_run, mother, "paid", kids_room_children=[child])
    first = Booking.objects.get(child=child, session=sessions[0])
    assert kids.cancel_child_from_run(first) == 3
    assert set(Booking.objects.filter(child=child).values_list("status", flat=True)) == {
        "cancelled"
    }


def test_the_ratio_changes_only_if_booked_children_keep_their_care(
    almaty, session, on_shift, make_mother
) -> None:
    on_shift(1)
    for _ in range(4):
        kids.book(session, make_mother())
    waiting = kids.book(session, make_mother(), waitlist=True)
    with pytest.raises(ValidationError, match="would lack care: One more tutor is needed"):
        kids.set_rules(almaty.pk, children_per_tutor=3, high_support_per_tutor=2)
    assert not Rules.objects.exists()
    kids.set_rules(almaty.pk, children_per_tutor=5, high_support_per_tutor=2)
    assert kids.ratio_for(almaty.pk) == kids.Ratio(5, 2)
    assert Booking.objects.get(pk=waiting.pk).status == "booked"  # a kinder ratio found room
    with pytest.raises(ValidationError) as caught:
        kids.set_rules(almaty.pk, children_per_tutor=0, high_support_per_tutor=30)
    assert set(caught.value.message_dict) == {"children_per_tutor", "high_support_per_tutor"}
