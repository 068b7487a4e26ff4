"""Finding 11 (kids' room part): a tutor reaches the children booked in the room(s) where she
has shifts, and their mothers — not every woman and child of the centre. The kids'-room pages
and the API keep to that reach."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.centres.models import Room
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Booking
from mamapro.people import reach
from mamapro.people.models import Child, Participant
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db


@pytest.fixture
def now_session(make_session):
    now = timezone.now()
    return make_session(now - dt.timedelta(minutes=30), now + dt.timedelta(hours=2))


def _children(user) -> set[int]:
    return set(reach.within_reach(Child.objects.all(), user).values_list("pk", flat=True))


def _mothers(user) -> set[int]:
    return set(reach.within_reach(Participant.objects.all(), user).values_list("pk", flat=True))


def test_a_tutor_reaches_the_children_booked_in_her_room_and_their_mothers(
    personas, kids_room, kids_run, now_session, on_shift, make_mother, make_tutor, child
) -> None:
    tutor = personas["tutor"]
    now = timezone.now()
    on_shift(1, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))  # the persona
    booked = make_mother()
    kids.book(now_session, booked)
    waiting_or_not = make_mother()  # her mother attends, she is not booked
    cancelled = make_mother()
    kids.cancel(kids.book(now_session, cancelled))
    assert _children(tutor) == {booked.pk}
    assert _mothers(tutor) == {booked.parent_id}
    # The survivor's son is not booked: she and he are out of the tutor's reach.
    assert child.pk not in _children(tutor)
    assert child.parent_id not in _mothers(tutor)
    assert waiting_or_not.pk not in _children(tutor)
    # A tutor with no shift reaches nobody; the coordinator every child of the centre.
    assert _children(make_tutor()) == set()
    coordinator = personas["coordinator"]
    assert {booked.pk, child.pk, waiting_or_not.pk, cancelled.pk} <= _children(coordinator)


def test_another_room_and_old_bookings_are_out_of_reach(
    personas, almaty, kids_room, kids_run, make_session, make_mother, make_tutor
) -> None:
    tutor = personas["tutor"]
    now = timezone.now()
    other_room = Room.objects.create(
        centre=almaty, name="Екінші бөлме", kind=Room.Kind.KIDS_ROOM, capacity=6
    )
    kids.add_shift(other_room, tutor, now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    kids.add_shift(
        kids_room, make_tutor(), now - dt.timedelta(days=30), now + dt.timedelta(days=30)
    )
    session = make_session(now + dt.timedelta(hours=1), now + dt.timedelta(hours=2))
    in_the_first_room = make_mother()
    kids.book(session, in_the_first_room)  # the centre's kids' room is the first one
    assert Booking.objects.get(child=in_the_first_room).room == kids_room
    assert _children(tutor) == set()
    # Booked in her room, but for a session eight days ago: out of reach; a week ago: in.
    kids.add_shift(kids_room, tutor, now - dt.timedelta(days=9), now + dt.timedelta(days=1))
    old, recent = make_mother(), make_mother()
    for kid, days in ((old, 8), (recent, 6)):
        Booking.objects.create(
            centre=almaty,
            room=kids_room,
            child=kid,
            starts_at=now - dt.timedelta(days=days),
            ends_at=now - dt.timedelta(days=days) + dt.timedelta(hours=1),
            status=Booking.Status.BOOKED,
        )
    assert _children(tutor) == {in_the_first_room.pk, recent.pk}


def test_the_pages_and_the_api_keep_to_her_reach(
    client, token_for, personas, kids_run, now_session, on_shift, make_mother, make_tutor, child
) -> None:
    now = timezone.now()
    on_shift(1, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))
    seats.enroll(kids_run, child.parent, "paid")
    booking = kids.book(now_session, child)
    stranger = make_tutor()  # a tutor of the centre with no shift in the room
    client.force_login(stranger)
    board = client.get(reverse("kidsroom:board")).content.decode()
    assert "Әлихан" not in board
    assert "Депакин" not in board
    response = client.post(
        reverse("kidsroom:check_in", args=[booking.pk]), {"brought_by_name": "Әсел Қасымова"}
    )
    assert response.status_code == 404
    assert client.get(reverse("kidsroom:incident_create", args=[child.pk])).status_code == 404
    assert Booking.objects.get(pk=booking.pk).checked_in_at is None
    headers = token_for(stranger)
    listed = client.get("/api/v1/kidsroom/bookings", headers=headers).json()
    assert listed["count"] == 0
    body = {"child": child.pk, "session": now_session.pk, "adult_name": "Әсел Қасымова"}
    refused = client.post(
        "/api/v1/kidsroom/checkins",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"child"}
    assert Booking.objects.get(pk=booking.pk).checked_in_at is None
    # The tutor on shift in the room sees him and checks him in.
    client.force_login(personas["tutor"])
    assert "Депакин" in client.get(reverse("kidsroom:board")).content.decode()
    assert client.get(reverse("kidsroom:incident_create", args=[child.pk])).status_code == 200
    done = client.post(
        "/api/v1/kidsroom/checkins",
        data=json.dumps(body),
        content_type="application/json",
        headers=token_for(personas["tutor"]),
    )
    assert done.status_code == 201


def test_the_board_lists_children_by_the_name_the_tutor_sees(
    client, personas, kids_run, now_session, on_shift, make_participant
) -> None:
    """Finding 3: by given name, never by the family name (often the mother's real one)."""
    from mamapro.people import services as people

    now = timezone.now()
    on_shift(2, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))
    made = []
    for given, family in (("Мирас", "Әбенов"), ("Айдана", "Юсупова"), ("Дамир", "Абаев")):
        mother = make_participant(given_name="Ана", family_name=family, alias=f"Ана {given}")
        made.append(
            people.add_child(
                mother,
                data={
                    "given_name": given,
                    "family_name": family,
                    "birth_date": dt.date(2020, 1, 1),
                },
            )
        )
        seats.enroll(kids_run, mother, "paid")
        kids.book(now_session, made[-1])
    client.force_login(personas["tutor"])
    page = client.get(reverse("kidsroom:board")).content.decode()
    positions = [page.index(f"<h3>{given} <small>") for given in ("Айдана", "Дамир", "Мирас")]
    assert positions == sorted(positions)
    for family in ("Әбенов", "Юсупова", "Абаев"):
        assert family not in page
