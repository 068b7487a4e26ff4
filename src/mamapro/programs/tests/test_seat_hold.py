"""A seat asked for on the public form is held, never confirmed by the form: it counts against
the seats while it lasts, the coordinator confirms it (web and API), or the tick passes it to
the next in line. The race: many applicants at once never hold more seats than exist — and,
with the run lock switched off, they do (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from mamapro.conftest import race
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry
from mamapro.programs import locking
from mamapro.programs.models import Enrollment, Fee
from mamapro.programs.services import enrollment as seats
from mamapro.public.models import Application
from mamapro.public.services import applications
from mamapro.public.services.applications import ApplicationInput

SEATS = 3
PUBLIC = Enrollment.Source.PUBLIC


def _hold(run, woman, *, now=None, hours=48):
    return seats.enroll(run, woman, "paid", source=PUBLIC, hold_hours=hours, now=now)


def _applicant(n: int) -> ApplicationInput:
    return ApplicationInput(
        given_name="Айгерім",
        family_name=f"Сейітқызы{n}",
        phone=f"+7701555{n:04d}",
        language="kk",
        seat_wanted="paid",
        contact_channels=("sms",),
    )


@pytest.mark.django_db
def test_a_hold_takes_a_seat_without_confirming_it(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0, price=Decimal("15000.00"))
    her, next_one = make_women(2)
    held = _hold(run, her)
    assert (held.status, held.confirmed_at, held.source) == ("offered", None, "public")
    assert not Fee.objects.exists()
    assert seats.seat_counts(run).left("paid") == 0
    # The held seat is not free for the next woman: she waits.
    assert seats.enroll(run, next_one, "paid").status == "waitlisted"
    entry = AuditEntry.objects.filter(object_type="programs.enrollment", action="create").first()
    assert entry is not None
    assert entry.details["event"] == "held"


@pytest.mark.django_db
def test_the_coordinator_confirms_a_held_seat_and_the_fee_becomes_due(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0, price=Decimal("15000.00"))
    held = _hold(run, make_women(1)[0])
    confirmed = seats.accept_offer(held)
    assert confirmed.status == "confirmed"
    assert Fee.objects.get(enrollment=held).status == "due"


@pytest.mark.django_db
def test_the_tick_releases_a_lapsed_hold_to_the_next_in_line(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    her, waiting = make_women(2)
    t0 = timezone.now() - dt.timedelta(hours=49)
    held = _hold(run, her, now=t0)
    seats.enroll(run, waiting, "paid", now=t0 + dt.timedelta(minutes=1))
    out = io.StringIO()
    call_command("programs", "tick", stdout=out)
    assert "offers expired: 1" in out.getvalue()
    held.refresh_from_db()
    assert (held.status, held.end_reason) == ("dropped", "offer_expired")
    nxt = Enrollment.objects.get(participant=waiting)
    assert nxt.status == "offered"  # the seat passed on, as an offer to her
    with pytest.raises(Conflict):
        seats.accept_offer(held)


@pytest.mark.django_db
def test_a_hold_not_yet_lapsed_stays(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    held = _hold(run, make_women(1)[0], now=timezone.now() - dt.timedelta(hours=47))
    call_command("programs", "tick", stdout=io.StringIO())
    held.refresh_from_db()
    assert held.status == "offered"


@pytest.mark.django_db
def test_the_hold_lasts_the_setting(make_run, make_women, settings) -> None:
    settings.PUBLIC_SEAT_HOLD_HOURS = 6
    run = make_run(paid_seats=2, free_seats=0)
    application = applications.apply(run, _applicant(1))
    e = application.enrollment
    assert e is not None
    assert e.offered_at is not None
    assert e.offer_expires_at is not None
    assert e.offer_expires_at - e.offered_at == dt.timedelta(hours=6)


@pytest.mark.django_db
def test_the_coordinator_confirms_or_releases_on_the_applications_page(
    client, personas, make_run, make_women
) -> None:
    run = make_run(paid_seats=1, free_seats=0, price=Decimal("15000.00"))
    first = applications.apply(run, _applicant(1))
    second = applications.apply(run, _applicant(2))  # waiting behind the hold
    assert first.enrollment is not None
    assert second.enrollment is not None
    assert second.enrollment.status == "waitlisted"
    held, waiting = first.enrollment.pk, second.enrollment.pk
    client.force_login(personas["trainer"])
    refused = client.post(reverse("public:application_confirm", args=[first.pk]))
    assert refused.status_code == 403
    assert Enrollment.objects.get(pk=held).status == "offered"

    client.force_login(personas["coordinator"])
    released = client.post(reverse("public:application_release", args=[first.pk]))
    assert released.status_code == 302
    assert Enrollment.objects.get(pk=held).status == "withdrawn"
    # The seat passed to the next in line, still only held: the centre confirms her too.
    assert Enrollment.objects.get(pk=waiting).status == "offered"
    confirmed = client.post(reverse("public:application_confirm", args=[second.pk]))
    assert confirmed.status_code == 302
    assert Enrollment.objects.get(pk=waiting).status == "confirmed"
    # Confirming what is no longer held changes nothing and says why.
    again = client.post(
        reverse("public:application_confirm", args=[first.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "There is no open offer to accept." in again.content.decode()
    assert Enrollment.objects.get(pk=held).status == "withdrawn"


@pytest.mark.django_db
def test_the_api_shows_the_hold_and_confirms_it(client, personas, token_for, make_run) -> None:
    run = make_run(paid_seats=1, free_seats=0, price=Decimal("15000.00"))
    application = applications.apply(run, _applicant(1))
    assert application.enrollment_id is not None
    url = f"/api/v1/enrollments/{application.enrollment_id}"
    auth = token_for(personas["coordinator"])
    shown = client.get(url, headers=auth).json()
    assert (shown["status"], shown["source"]) == ("offered", "public")
    assert shown["offer_expires_at"] is not None
    accepted = client.post(f"{url}/accept", headers=auth)
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "confirmed"
    enrollment = Application.objects.get().enrollment
    assert enrollment is not None
    assert enrollment.status == "confirmed"


# --- The race --------------------------------------------------------------------------------


def _widen_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locking, "between_count_and_write", lambda: time.sleep(0.05))


@pytest.mark.django_db(transaction=True)
def test_racing_holds_never_take_more_seats_than_exist(monkeypatch, make_run, make_women) -> None:
    _widen_the_window(monkeypatch)
    run = make_run(paid_seats=SEATS, free_seats=0)
    women = make_women(10)
    _refused, errors = race(lambda woman: _hold(run, woman), women)
    assert not errors, errors
    rows = Enrollment.objects.filter(run=run)
    assert rows.filter(status="offered").count() == SEATS
    assert rows.filter(status="confirmed").count() == 0
    assert rows.filter(status="waitlisted").count() == 10 - SEATS


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_racing_holds_overbook(monkeypatch, make_run, make_women) -> None:
    """The proof that the lock is what keeps the holds within the seats."""
    _widen_the_window(monkeypatch)
    monkeypatch.setattr(locking, "LOCKING", False)
    run = make_run(paid_seats=SEATS, free_seats=0)
    women = make_women(10)
    _refused, errors = race(lambda woman: _hold(run, woman), women)
    assert not errors, errors
    held = Enrollment.objects.filter(run=run, status="offered").count()
    assert held > SEATS, f"expected overbooking without the lock, got {held}/{SEATS}"
