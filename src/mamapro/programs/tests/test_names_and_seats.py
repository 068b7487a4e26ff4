"""Issue 9, findings 1, 3, 4 and 11 (programmes): a survivor's real name never reaches a
trainer through a message, an error or the order of a list; trainers and communications never
learn who holds a free seat; a trainer reaches only the women of the runs she teaches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.people import reach
from mamapro.people import services as people
from mamapro.people.models import Participant
from mamapro.programs.models import Attendance, Enrollment, FollowUpTask
from mamapro.programs.services import enrollment as seats
from mamapro.programs.tests.attendance_world import add_sessions, enroll_before_start, mark

pytestmark = pytest.mark.django_db

ALIAS = "Айжан"
REAL = "Қасымова"


@pytest.fixture
def aliased(survivor):
    people.update_participant(survivor, data={"alias": ALIAS})
    return survivor


@pytest.fixture
def taught(make_run, personas):
    return make_run(starts_in=-10, days=30, trainer=personas["trainer"], paid_seats=25)


def _text(response) -> str:
    return response.content.decode()


def _no_real_name(html: str, woman: Participant) -> None:
    assert REAL not in html
    assert woman.given_name not in html
    assert woman.phone not in html


# --- Finding 1: messages and errors name her as the trainer sees her -------------------------
def test_an_early_mark_names_her_alias(client, personas, taught, aliased) -> None:
    (soon,) = add_sessions(taught, [3 / 24])  # in three hours: the roll call is not open
    enroll_before_start(taught, [aliased])
    client.force_login(personas["trainer"])
    response = client.post(
        reverse("programs:roll_call", args=[soon.pk]), {f"mark-{aliased.pk}": "present"}
    )
    assert response.status_code == 422
    html = _text(response)
    assert f"{ALIAS}: The session has not started yet" in html
    _no_real_name(html, aliased)
    assert not Attendance.objects.exists()


def test_an_invalid_mark_names_her_alias(client, personas, taught, aliased) -> None:
    (s1,) = add_sessions(taught, [-1])
    enroll_before_start(taught, [aliased])
    client.force_login(personas["trainer"])
    response = client.post(
        reverse("programs:roll_call", args=[s1.pk]), {f"mark-{aliased.pk}": "asleep"}
    )
    assert response.status_code == 422
    html = _text(response)
    assert f"{ALIAS}: Choose present, late, excused or absent." in html
    _no_real_name(html, aliased)
    assert not Attendance.objects.exists()


def test_the_no_show_warning_names_her_alias(
    client, personas, make_run, aliased, make_women
) -> None:
    run = make_run(starts_in=-10, days=30, paid_seats=1, free_seats=0, trainer=personas["trainer"])
    (s1,) = add_sessions(run, [-9])
    (waiting,) = make_women(1)
    enroll_before_start(run, [aliased, waiting])
    client.force_login(personas["trainer"])
    url = reverse("programs:roll_call", args=[s1.pk])
    html = _text(client.post(url, {f"mark-{aliased.pk}": "absent"}, follow=True))
    assert f"{ALIAS} did not come to her first session" in html
    _no_real_name(html, aliased)


def test_the_two_absences_warning_names_her_alias(client, personas, taught, aliased) -> None:
    s1, s2, s3 = add_sessions(taught, [-9, -5, -1])
    enroll_before_start(taught, [aliased])
    mark(s1, {aliased: "present"})
    mark(s2, {aliased: "absent"})
    client.force_login(personas["trainer"])
    url = reverse("programs:roll_call", args=[s3.pk])
    html = _text(client.post(url, {f"mark-{aliased.pk}": "absent"}, follow=True))
    assert f"{ALIAS} has missed two sessions in a row" in html
    _no_real_name(html, aliased)
    assert FollowUpTask.objects.filter(reason="two_absences").count() == 1


def test_the_care_team_reads_her_name_in_the_same_messages(
    client, personas, taught, aliased
) -> None:
    (s1,) = add_sessions(taught, [-1])
    enroll_before_start(taught, [aliased])
    client.force_login(personas["coordinator"])
    response = client.post(
        reverse("programs:roll_call", args=[s1.pk]), {f"mark-{aliased.pk}": "asleep"}
    )
    assert f"{aliased.full_name}: Choose present" in _text(response)


# --- Finding 3: lists sorted by the name shown, outside the care team --------------------------
@pytest.fixture
def three_women(taught, aliased, make_participant):
    """Real names sort Бекова, Жанова, Қасымова; as shown to a trainer, Айжан comes first."""
    bekova = make_participant(given_name="Дана", family_name="Бекова")
    zhanova = make_participant(given_name="Гүлназ", family_name="Жанова")
    enroll_before_start(taught, [zhanova, aliased, bekova])
    return bekova, zhanova, aliased


def _order(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


def test_roll_call_and_register_sort_by_the_name_shown(
    client, personas, taught, three_women, token_for
) -> None:
    bekova, zhanova, survivor = three_women
    (s1,) = add_sessions(taught, [-1])
    names = ["Бекова", "Жанова", ALIAS]
    client.force_login(personas["trainer"])
    for url in (
        reverse("programs:roll_call", args=[s1.pk]),
        reverse("programs:run_attendance", args=[taught.pk]),
    ):
        html = _text(client.get(url))
        assert _order(html, names) == [ALIAS, "Бекова", "Жанова"], url
    listed = client.get(
        f"/api/v1/sessions/{s1.pk}/attendance", headers=token_for(personas["trainer"])
    ).json()
    assert [m["participant"] for m in listed] == [survivor.pk, bekova.pk, zhanova.pk]

    # The care team sees who she is, and the list in the order of real names.
    client.force_login(personas["coordinator"])
    html = _text(client.get(reverse("programs:roll_call", args=[s1.pk])))
    assert _order(html, ["Бекова", "Жанова", REAL]) == ["Бекова", "Жанова", REAL]
    listed = client.get(
        f"/api/v1/sessions/{s1.pk}/attendance", headers=token_for(personas["coordinator"])
    ).json()
    assert [m["participant"] for m in listed] == [bekova.pk, zhanova.pk, survivor.pk]


# --- Finding 4: seat types, per-type counters and places are for those who give seats --------
@pytest.fixture
def mixed_run(make_run, make_women, personas):
    run = make_run(paid_seats=2, free_seats=2, trainer=personas["trainer"])
    for w in make_women(3):
        seats.enroll(run, w, "paid")  # two confirmed, one waiting
    seats.enroll(run, make_women(1, eligible=True)[0], "free")
    return run


PER_TYPE_MARKERS = ("Free seats", "Paid seats", "Free</", "Paid</", "Waiting list")


@pytest.mark.parametrize("persona", ["trainer", "comms"])
def test_trainers_and_comms_see_totals_only(client, personas, mixed_run, persona) -> None:
    client.force_login(personas[persona])
    for url in (
        reverse("programs:run_detail", args=[mixed_run.pk]),
        reverse("programs:run_list"),
    ):
        html = _text(client.get(url))
        for marker in PER_TYPE_MARKERS:
            assert marker not in html, (url, marker)
        assert "1/2" not in html  # one free seat of two
        assert "3/4" in html, url  # three seats taken of four
    detail = _text(client.get(reverse("programs:run_detail", args=[mixed_run.pk])))
    assert "1 waiting" in detail


@pytest.mark.parametrize("persona", ["coordinator", "director", "manager"])
def test_those_who_give_and_sell_seats_see_them_by_type(
    client, personas, mixed_run, persona
) -> None:
    client.force_login(personas[persona])
    html = _text(client.get(reverse("programs:run_detail", args=[mixed_run.pk])))
    assert "Free seats" in html
    assert "2/2" in html
    assert "1/2" in html
    html = _text(client.get(reverse("programs:run_list")))
    assert "Free" in html
    assert "1/2" in html


@pytest.mark.parametrize("persona", ["trainer", "comms"])
def test_the_api_gives_trainers_and_comms_totals_only(
    client, personas, mixed_run, token_for, persona
) -> None:
    headers = token_for(personas[persona])
    one = client.get(f"/api/v1/runs/{mixed_run.pk}", headers=headers).json()
    (listed,) = client.get("/api/v1/runs", headers=headers).json()["items"]
    for body in (one, listed):
        assert (body["confirmed"], body["offered"], body["waitlist"], body["left"]) == (3, 0, 1, 1)
        for field in ("paid_confirmed", "free_confirmed", "free_offered", "free_waitlist"):
            assert body[field] is None, field
        assert body["free_left"] is None
        assert body["paid_left"] is None


def test_the_api_gives_the_manager_counts_by_type(client, personas, mixed_run, token_for) -> None:
    body = client.get(f"/api/v1/runs/{mixed_run.pk}", headers=token_for(personas["manager"])).json()
    assert (body["paid_confirmed"], body["free_confirmed"], body["paid_waitlist"]) == (2, 1, 1)
    assert (body["confirmed"], body["waitlist"]) == (3, 1)


def test_no_place_in_a_per_type_line_for_a_trainer_or_comms(
    client, personas, mixed_run, token_for
) -> None:
    """Places restart per seat type: "1st" on a line with a paid waitlist of 3 says free."""
    (eligible,) = Participant.objects.filter(eligibility_verified=True)
    run = mixed_run
    run.free_seats = 1
    run.save()
    late = people.create_participant(
        centre=run.centre,
        data={"given_name": "Сая", "family_name": "Нұрова", "phone": "+77019990001"},
    )
    people.update_participant(late, data={}, eligibility_verified=True)
    seats.enroll(run, late, "free")  # waiting for a free seat, first in that line
    for persona in ("trainer", "comms"):
        items = client.get(
            "/api/v1/enrollments", {"run": run.pk}, headers=token_for(personas[persona])
        ).json()["items"]
        waiting = [e for e in items if e["status"] == "waitlisted"]
        assert len(waiting) == 2
        assert all(e["waitlist_position"] is None for e in waiting), persona
        assert all(e.get("seat_type") is None for e in items), persona
    items = client.get(
        "/api/v1/enrollments", {"run": run.pk}, headers=token_for(personas["coordinator"])
    ).json()["items"]
    assert sorted(e["waitlist_position"] for e in items if e["status"] == "waitlisted") == [1, 1]
    assert eligible.pk in {e["participant"] for e in items}


# --- Finding 11: a trainer reaches the women of the runs she teaches ---------------------------
def test_a_trainer_reaches_only_the_women_of_her_runs(
    personas, make_run, make_women, make_user, almaty
) -> None:
    from mamapro.core.permissions import Role

    mine = make_run(trainer=personas["trainer"], paid_seats=2, free_seats=0)
    theirs = make_run(trainer=make_user("trainer-2", Role.TRAINER, almaty))
    confirmed, offered, waiting, withdrawn, elsewhere, nowhere = make_women(6)
    seats.enroll(mine, confirmed, "paid")
    e_offered = seats.enroll(mine, offered, "paid")
    seats.enroll(mine, waiting, "paid")
    Enrollment.objects.filter(pk=e_offered.pk).update(
        status="offered", offer_expires_at=timezone.now() + dt.timedelta(days=1)
    )
    gone = seats.enroll(mine, withdrawn, "paid")
    Enrollment.objects.filter(pk=gone.pk).update(status="withdrawn")
    seats.enroll(theirs, elsewhere, "paid")
    reached = set(
        reach.within_reach(Participant.objects.all(), personas["trainer"]).values_list(
            "pk", flat=True
        )
    )
    assert reached == {confirmed.pk, offered.pk}
    assert nowhere.pk not in reached
    # The care team and the manager still reach the whole centre.
    for persona in ("coordinator", "manager"):
        everyone = reach.within_reach(Participant.objects.all(), personas[persona])
        assert everyone.count() == 6


def test_a_dropped_no_show_stays_in_her_trainers_reach(personas, taught, make_women) -> None:
    (s1,) = add_sessions(taught, [-9])
    (woman,) = make_women(1)
    enroll_before_start(taught, [woman])
    mark(s1, {woman: "absent"})
    assert Enrollment.objects.get(participant=woman).status == "dropped"
    assert reach.within_reach(Participant.objects.all(), personas["trainer"]).get() == woman


def test_another_trainers_run_shows_her_no_names(
    client, personas, make_run, make_women, make_user, almaty
) -> None:
    from mamapro.core.permissions import Role

    theirs = make_run(trainer=make_user("trainer-2", Role.TRAINER, almaty))
    (woman,) = make_women(1)
    seats.enroll(theirs, woman, "paid")
    client.force_login(personas["trainer"])
    html = _text(client.get(reverse("programs:run_detail", args=[theirs.pk])))
    assert woman.family_name not in html
    assert "The women on this roster are not named to you." in html
    client.force_login(personas["coordinator"])
    assert woman.family_name in _text(client.get(reverse("programs:run_detail", args=[theirs.pk])))


def test_trainer_reach_keeps_the_register_in_constant_queries(
    client, personas, taught, make_women, django_assert_max_num_queries
) -> None:
    add_sessions(taught, [-8, -1])
    enroll_before_start(taught, make_women(12))
    client.force_login(personas["trainer"])
    url = reverse("programs:run_detail", args=[taught.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    enroll_before_start(taught, make_women(12))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_enrollments_api_names_only_the_women_she_reaches(
    client, personas, taught, make_run, make_women, make_user, almaty, token_for
) -> None:
    from mamapro.core.permissions import Role

    theirs = make_run(trainer=make_user("trainer-2", Role.TRAINER, almaty))
    mine, other = make_women(2)
    enroll_before_start(taught, [mine])
    seats.enroll(theirs, other, "paid")
    headers = token_for(personas["trainer"])
    items = client.get("/api/v1/enrollments", headers=headers).json()["items"]
    named = {e["participant_name"] for e in items if "participant_name" in e}
    assert named == {f"{mine.given_name} {mine.family_name}"}
    assert len(items) == 2  # the other run's seat is counted, not named
    assert other.family_name not in str(items)
    asked = client.get("/api/v1/enrollments", {"participant": other.pk}, headers=headers).json()
    assert asked["count"] == 0
    asked = client.get("/api/v1/enrollments", {"participant": mine.pk}, headers=headers).json()
    assert asked["count"] == 1
    coordinator = client.get("/api/v1/enrollments", headers=token_for(personas["coordinator"]))
    assert len([e for e in coordinator.json()["items"] if "participant_name" in e]) == 2


@pytest.mark.parametrize("persona", ["trainer", "comms"])
def test_the_roster_is_in_name_order_not_the_order_seats_were_taken(
    client, personas, make_run, make_participant, persona
) -> None:
    """Found by an attack on the demo: in the order of joining, the free seats (queued
    first) stood in a block of their own before the paid ones."""
    run = make_run(paid_seats=2, free_seats=2, trainer=personas["trainer"])
    for family in ("Яхина", "Юсупова"):
        woman = make_participant(family_name=family, circumstances=("stay_at_home",))
        people.update_participant(woman, data={}, eligibility_verified=True)
        seats.enroll(run, woman, "free")
    for family in ("Абаева", "Бекова"):
        seats.enroll(run, make_participant(family_name=family), "paid")
    client.force_login(personas[persona])
    html = _text(client.get(reverse("programs:run_detail", args=[run.pk])))
    found = [html.find(name) for name in ("Абаева", "Бекова", "Юсупова", "Яхина")]
    if persona == "comms":
        # Communications reach no woman: no names at all, so no order to read.
        assert found == [-1, -1, -1, -1]
    else:
        assert -1 not in found
        assert found == sorted(found)
