"""The coordinator's run pages: counters, waitlists, offers, roster, fees — and who sees what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from mamapro.programs.models import Enrollment
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_run(make_run, make_women, personas):
    run = make_run(paid_seats=2, free_seats=1, trainer=personas["trainer"])
    paid = make_women(3)
    free = make_women(2, eligible=True)
    for w in paid:
        seats.enroll(run, w, "paid")
    for w in free:
        seats.enroll(run, w, "free")
    return run


def _html(client: Client, user, run) -> str:
    client.force_login(user)
    response = client.get(reverse("programs:run_detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_coordinator_sees_counters_waitlists_and_seat_types(client, personas, busy_run) -> None:
    html = _html(client, personas["coordinator"], busy_run)
    assert "2/2" in html
    assert "1/1" in html
    assert "Waiting list: paid seats" in html
    assert "Waiting list: free seats" in html
    assert '<span class="tag">Free seat</span>' in html
    assert "Серікова002" in html  # the paid waitlist


def test_trainer_sees_names_but_not_who_has_a_free_seat(client, personas, busy_run) -> None:
    html = _html(client, personas["trainer"], busy_run)
    assert "Серікова000" in html
    assert '<span class="tag">Free seat</span>' not in html
    assert '<span class="tag">Paid seat</span>' not in html
    assert "Waiting list" not in html
    assert "fee-" not in html


def test_comms_sees_counters_only(client, personas, busy_run) -> None:
    html = _html(client, personas["comms"], busy_run)
    assert "3/3" in html  # seats taken of seats, without their types
    assert "2/2" not in html
    assert "Серікова" not in html


def test_manager_marks_a_fee_paid(client, personas, busy_run) -> None:
    html = _html(client, personas["manager"], busy_run)
    assert "fee-" in html
    fee = Enrollment.objects.filter(run=busy_run, seat_type="paid", status="confirmed")[0].fee
    response = client.post(reverse("programs:fee_status", args=[fee.pk]), {"status": "paid"})
    assert response.status_code == 302
    fee.refresh_from_db()
    assert fee.status == "paid"


def test_enroll_from_the_search_and_withdraw(client, personas, make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    first, second = make_women(2)
    client.force_login(personas["coordinator"])
    partial = client.get(
        reverse("programs:run_candidates", args=[run.pk]), {"q": "серікова000"}
    ).content.decode()
    assert "Серікова000" in partial
    assert "Free seat" not in partial, "she is not verified for a free seat"
    for woman in (first, second):
        client.post(
            reverse("programs:run_enroll", args=[run.pk]),
            {"participant": woman.pk, "seat_type": "paid"},
        )
    statuses = dict(Enrollment.objects.filter(run=run).values_list("participant_id", "status"))
    assert statuses == {first.pk: "confirmed", second.pk: "waitlisted"}
    partial = client.get(
        reverse("programs:run_candidates", args=[run.pk]), {"q": "серікова"}
    ).content.decode()
    assert "Серікова000" not in partial, "already in the run"
    enrollment = Enrollment.objects.get(participant=first)
    client.post(reverse("programs:enrollment_withdraw", args=[enrollment.pk]))
    assert Enrollment.objects.get(participant=second).status == "offered"
    html = _html(client, personas["coordinator"], run)
    assert "Seats offered" in html


def test_refusals_come_back_as_messages(client, personas, make_run, make_women) -> None:
    run = make_run()
    (woman,) = make_women(1)
    client.force_login(personas["coordinator"])
    response = client.post(
        reverse("programs:run_enroll", args=[run.pk]),
        {"participant": woman.pk, "seat_type": "free"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "verified circumstance" in response.content.decode()
    assert not Enrollment.objects.exists()
    response = client.post(
        reverse("programs:run_seats", args=[run.pk]),
        {"paid_seats": -1, "free_seats": 10},
        follow=True,
    )
    assert "Paid seats" in response.content.decode()


def test_outsider_cannot_enroll_her_own_women_into_another_centres_run(
    client, personas, make_run, make_women, astana
) -> None:
    run = make_run()
    (woman,) = make_women(1, centre=astana)
    client.force_login(personas["outsider"])
    response = client.post(
        reverse("programs:run_enroll", args=[run.pk]),
        {"participant": woman.pk, "seat_type": "paid"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("runs", [2, 12])
def test_run_list_query_count_is_constant(
    client, personas, make_run, make_women, django_assert_num_queries, runs
) -> None:
    women = make_women(3)
    for _ in range(runs):
        run = make_run()
        for w in women:
            seats.enroll(run, w, "paid")
    client.force_login(personas["coordinator"])
    # session, user, memberships, centre switcher, runs, counts of all runs
    with django_assert_num_queries(6):
        assert client.get(reverse("programs:run_list")).status_code == 200


@pytest.mark.parametrize("women", [3, 15])
def test_run_detail_query_count_is_constant(
    client, personas, make_run, make_women, django_assert_num_queries, women
) -> None:
    run = make_run(paid_seats=5, free_seats=5)
    for w in make_women(women):
        seats.enroll(run, w, "paid")
    client.force_login(personas["coordinator"])
    # session, user, memberships, run, counts, sessions, roster (+fees), follow-ups, switcher
    with django_assert_num_queries(9):
        assert client.get(reverse("programs:run_detail", args=[run.pk])).status_code == 200


def _new_run_form(course, centre, **overrides) -> dict:
    import datetime as dt

    from django.utils import timezone

    start = timezone.localdate() + dt.timedelta(days=7)
    data = {
        "course": course.pk,
        "centre": centre.pk,
        "starts_on": start.isoformat(),
        "ends_on": (start + dt.timedelta(days=27)).isoformat(),
        "price": "15000",
        "paid_seats": 10,
        "free_seats": 10,
        "kids_room": "on",
        "weekdays": ["1", "3"],
        "start_time": "10:00",
        "end_time": "13:00",
    }
    data.update(overrides)
    return data


def test_coordinator_opens_a_run_with_its_weekly_sessions(client, personas, course, almaty) -> None:
    from mamapro.programs.models import Run

    client.force_login(personas["coordinator"])
    assert client.get(reverse("programs:run_create")).status_code == 200
    response = client.post(
        reverse("programs:run_create"),
        _new_run_form(course, almaty, trainer=personas["trainer"].pk),
    )
    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:run_detail", args=[run.pk])
    assert run.trainer == personas["trainer"]
    assert run.sessions.count() == 8  # Tuesdays and Thursdays over four weeks
    from django.utils import timezone

    assert {timezone.localtime(s.starts_at).hour for s in run.sessions.all()} == {10}  # Almaty time


def test_a_bad_run_writes_nothing_and_says_why(client, personas, course, almaty) -> None:
    from mamapro.programs.models import Run, Session

    client.force_login(personas["coordinator"])
    response = client.post(
        reverse("programs:run_create"),
        _new_run_form(course, almaty, end_time="09:00", paid_seats=-1),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_paid_seats_error"' in html
    response = client.post(
        reverse("programs:run_create"), _new_run_form(course, almaty, end_time="09:00")
    )
    assert "ends after it starts" in response.content.decode()
    assert not Run.objects.exists(), "the run and its timetable together, or neither"
    assert not Session.objects.exists()


def test_outsider_cannot_open_a_run_at_another_centre(client, personas, course, almaty) -> None:
    from mamapro.programs.models import Run

    client.force_login(personas["outsider"])
    response = client.post(reverse("programs:run_create"), _new_run_form(course, almaty))
    assert response.status_code == 200  # Almaty is not among her choices: a field error
    assert not Run.objects.exists()
