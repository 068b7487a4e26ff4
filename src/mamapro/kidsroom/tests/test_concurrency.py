"""Real parallel connections booking the same room at once: capacity and ratios hold with the
room's lock, and break without it — on SQLite and on PostgreSQL alike (the suite runs on
both)."""

from __future__ import annotations

import time

import pytest

from mamapro.conftest import race
from mamapro.core.errors import Conflict
from mamapro.kidsroom import locking
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Booking

RACERS = 9


def _race(session, children, *, waitlist: bool = False) -> tuple[int, list[BaseException]]:
    return race(lambda child: kids.book(session, child, waitlist=waitlist), children, Conflict)


@pytest.fixture(autouse=True)
def _widen_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locking, "between_count_and_write", lambda: time.sleep(0.05))


@pytest.mark.django_db(transaction=True)
def test_with_the_lock_one_tutor_never_has_more_than_four(session, on_shift, make_mother) -> None:
    on_shift(1)
    children = [make_mother() for _ in range(RACERS)]
    refused, errors = _race(session, children)
    assert not errors, errors
    assert Booking.objects.filter(session=session, status="booked").count() == 4
    assert refused == RACERS - 4


@pytest.mark.django_db(transaction=True)
def test_with_the_lock_the_rest_wait_in_order(session, on_shift, make_mother) -> None:
    on_shift(1)
    children = [make_mother("high") for _ in range(RACERS)]
    refused, errors = _race(session, children, waitlist=True)
    assert not errors, errors
    assert refused == 0
    rows = Booking.objects.filter(session=session)
    assert rows.filter(status="booked").count() == 2  # 1 : 2 for high support
    assert rows.filter(status="waitlisted").count() == RACERS - 2


@pytest.mark.django_db(transaction=True)
def test_with_the_lock_the_room_never_exceeds_its_capacity(
    kids_room, session, on_shift, make_mother
) -> None:
    on_shift(3)  # tutors enough for 12: the room's 6 places are the limit
    children = [make_mother() for _ in range(RACERS)]
    refused, errors = _race(session, children)
    assert not errors, errors
    assert Booking.objects.filter(session=session, status="booked").count() == kids_room.capacity
    assert refused == RACERS - kids_room.capacity


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_room_overfills(monkeypatch, session, on_shift, make_mother) -> None:
    """The proof that the lock matters: switched off, the same race breaks the ratio."""
    monkeypatch.setattr(locking, "LOCKING", False)
    on_shift(1)
    children = [make_mother() for _ in range(RACERS)]
    _refused, errors = _race(session, children)
    assert not errors, errors
    booked = Booking.objects.filter(session=session, status="booked").count()
    assert booked > 4, f"expected a broken ratio without the lock, got {booked} for one tutor"
