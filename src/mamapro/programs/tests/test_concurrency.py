"""Real parallel connections enrolling at once: no overbooking with the lock, overbooking
without it — on SQLite and on PostgreSQL alike (the suite runs on both)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from mamapro.conftest import race
from mamapro.programs import locking
from mamapro.programs.models import Enrollment
from mamapro.programs.services import enrollment as seats

WOMEN = 12
SEATS = 4


def _race(run, women, seat_type: str) -> list[BaseException]:
    _refused, errors = race(lambda woman: seats.enroll(run, woman, seat_type), women)
    return errors


def _widen_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locking, "between_count_and_write", lambda: time.sleep(0.05))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seat_type", ["paid", "free"])
def test_with_the_lock_seats_never_overbook(
    monkeypatch, make_run, make_women, seat_type: str
) -> None:
    _widen_the_window(monkeypatch)
    run = make_run(paid_seats=SEATS, free_seats=SEATS)
    women = make_women(WOMEN, eligible=True)
    errors = _race(run, women, seat_type)
    assert not errors, errors
    rows = Enrollment.objects.filter(run=run, seat_type=seat_type)
    assert rows.filter(status__in=Enrollment.HOLDS_SEAT).count() == SEATS
    assert rows.filter(status="waitlisted").count() == WOMEN - SEATS
    positions = seats.waitlist_positions([run.pk])
    assert sorted(positions.values()) == list(range(1, WOMEN - SEATS + 1))


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_seats_overbook(monkeypatch, make_run, make_women) -> None:
    """The proof that the lock matters: switched off, the same race overbooks."""
    _widen_the_window(monkeypatch)
    monkeypatch.setattr(locking, "LOCKING", False)
    run = make_run(paid_seats=SEATS, free_seats=SEATS)
    women = make_women(WOMEN)
    errors = _race(run, women, "paid")
    assert not errors, errors
    confirmed = Enrollment.objects.filter(run=run, status="confirmed").count()
    assert confirmed > SEATS, f"expected overbooking without the lock, got {confirmed}/{SEATS}"


@pytest.mark.django_db(transaction=True)
def test_withdrawals_and_enrollments_racing_keep_the_invariant(
    monkeypatch, make_run, make_women
) -> None:
    _widen_the_window(monkeypatch)
    run = make_run(paid_seats=SEATS, free_seats=0)
    first = make_women(SEATS)
    for woman in first:
        seats.enroll(run, woman, "paid")
    late = make_women(6)
    barrier = threading.Barrier(SEATS + len(late))
    errors: list[BaseException] = []

    def leave(woman) -> None:
        try:
            barrier.wait(timeout=20)
            seats.withdraw(Enrollment.objects.get(run=run, participant=woman))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def join(woman) -> None:
        try:
            barrier.wait(timeout=20)
            seats.enroll(run, woman, "paid")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=leave, args=(w,)) for w in first]
    threads += [threading.Thread(target=join, args=(w,)) for w in late]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    counts = seats.seat_counts(run)
    assert counts.taken("paid") <= SEATS
    # Every freed seat went to someone in line: nobody waits while a seat is free.
    assert counts.taken("paid") == SEATS or counts.paid_waitlist == 0
