"""Counselling: notes read only by their author and a clinical lead, everyone else sees only
that a slot is taken, every read audited, no double booking under concurrency."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from mamapro.centres.models import Membership, Room
from mamapro.conftest import build_user, race
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry
from mamapro.core.permissions import Role
from mamapro.counselling import services
from mamapro.counselling.models import Appointment, Note

TOMORROW = timezone.now() + dt.timedelta(days=1)
SECRET = "Говорит о страхе перед бывшим мужем"


@pytest.fixture
def colleague(almaty):
    return build_user("psychologist-2", Role.PSYCHOLOGIST, almaty)


@pytest.fixture
def lead(almaty):
    user = build_user("clinical-lead", Role.PSYCHOLOGIST, almaty)
    Membership.objects.filter(user=user).update(clinical_lead=True)
    return user


@pytest.fixture
def session_with_note(personas, survivor):
    appointment = services.book(
        personas["psychologist"], survivor, TOMORROW, TOMORROW + dt.timedelta(hours=1)
    )
    services.write_note(appointment, personas["psychologist"], SECRET)
    return appointment


@pytest.mark.django_db
class TestWhoSeesWhat:
    def test_the_author_and_a_clinical_lead_read_the_note(
        self, client, personas, lead, session_with_note
    ) -> None:
        url = reverse("counselling:appointment", args=[session_with_note.pk])
        for reader in (personas["psychologist"], lead):
            client.force_login(reader)
            page = client.get(url).content.decode()
            assert SECRET in page
            assert "Қасымова" in page
        reads = AuditEntry.objects.filter(
            action="read_sensitive", object_type="counselling.note", fields=["text"]
        )
        assert set(reads.values_list("actor_name", flat=True)) == {"psychologist", "clinical-lead"}

    @pytest.mark.parametrize("who", ["colleague", "coordinator", "director", "tutor"])
    def test_nobody_else_reads_it(
        self, client, personas, colleague, session_with_note, who
    ) -> None:
        user = colleague if who == "colleague" else personas[who]
        client.force_login(user)
        response = client.get(reverse("counselling:appointment", args=[session_with_note.pk]))
        assert response.status_code == 403
        assert SECRET not in response.content.decode()

    def test_the_schedule_shows_others_only_that_the_slot_is_taken(
        self, client, personas, colleague, session_with_note
    ) -> None:
        url = reverse("counselling:schedule") + f"?from={TOMORROW.date().isoformat()}"
        for user in (personas["coordinator"], personas["director"], colleague):
            client.force_login(user)
            page = client.get(url).content.decode()
            assert "taken" in page
            assert "Қасымова" not in page
        client.force_login(personas["psychologist"])
        page = client.get(url).content.decode()
        assert "Қасымова" in page
        assert AuditEntry.objects.filter(
            action="read_sensitive", actor_name="psychologist", fields=["counselling"]
        ).exists()

    def test_only_the_author_writes_and_notes_are_encrypted(
        self, personas, colleague, session_with_note
    ) -> None:
        with pytest.raises(Conflict, match="Only the psychologist of this appointment"):
            services.write_note(session_with_note, colleague, "x")
        with connection.cursor() as cursor:
            cursor.execute("SELECT text FROM counselling_note")
            (stored,) = cursor.fetchone()
        assert stored.startswith("enc:")
        assert SECRET not in stored
        assert Note.objects.get().text == SECRET


@pytest.mark.django_db
class TestBooking:
    def test_no_double_booking_of_her_or_the_room(
        self, personas, survivor, colleague, almaty
    ) -> None:
        room = Room.objects.create(
            centre=almaty, name="Кабинет", kind=Room.Kind.COUNSELLING, capacity=3
        )
        services.book(
            personas["psychologist"],
            survivor,
            TOMORROW,
            TOMORROW + dt.timedelta(hours=1),
            room=room,
        )
        with pytest.raises(Conflict, match="already has an appointment"):
            services.book(
                personas["psychologist"],
                survivor,
                TOMORROW + dt.timedelta(minutes=30),
                TOMORROW + dt.timedelta(hours=2),
            )
        with pytest.raises(Conflict, match="The room is taken"):
            services.book(
                colleague, survivor, TOMORROW, TOMORROW + dt.timedelta(hours=1), room=room
            )

    def test_bad_input_names_the_field(self, personas, survivor, almaty) -> None:
        classroom = Room.objects.get(centre=almaty, kind="classroom")
        with pytest.raises(ValidationError) as caught:
            services.book(
                personas["trainer"],
                survivor,
                TOMORROW,
                TOMORROW - dt.timedelta(hours=1),
                room=classroom,
            )
        assert set(caught.value.message_dict) == {"psychologist", "ends_at", "room"}
        assert not Appointment.objects.exists()

    def test_the_psychologist_books_from_her_phone(self, client, personas, survivor) -> None:
        client.force_login(personas["psychologist"])
        found = client.get(
            reverse("counselling:client_find"), {"q": survivor.phone}
        ).content.decode()
        token = found.split('name="found" value="', 1)[1].split('"', 1)[0]
        response = client.post(
            reverse("counselling:appointment_create"),
            {
                "found": token,
                "day": TOMORROW.date().isoformat(),
                "starts": "10:00",
                "ends": "09:00",
            },
        )
        assert "The appointment must end after it starts." in response.content.decode()
        response = client.post(
            reverse("counselling:appointment_create"),
            {
                "found": token,
                "day": TOMORROW.date().isoformat(),
                "starts": "10:00",
                "ends": "11:00",
            },
        )
        assert response.status_code == 302
        assert Appointment.objects.get().participant == survivor


RACERS = 6


def _race(psychologist, women, monkeypatch) -> list[BaseException]:
    monkeypatch.setattr(services, "between_count_and_write", lambda: time.sleep(0.05))
    start, end = TOMORROW, TOMORROW + dt.timedelta(hours=1)
    _refused, errors = race(
        lambda woman: services.book(psychologist, woman, start, end), women, Conflict
    )
    return errors


@pytest.mark.django_db(transaction=True)
def test_with_the_lock_she_never_sees_two_clients_at_once(
    personas, make_women, monkeypatch
) -> None:
    errors = _race(personas["psychologist"], make_women(RACERS), monkeypatch)
    assert not errors, errors
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_she_is_double_booked(personas, make_women, monkeypatch) -> None:
    monkeypatch.setattr(services, "LOCKING", False)
    errors = _race(personas["psychologist"], make_women(RACERS), monkeypatch)
    assert not errors, errors
    assert Appointment.objects.count() > 1


@pytest.mark.django_db
class TestKidsRoomForTheSlot:
    @pytest.fixture
    def kids_room(self, almaty):
        return Room.objects.create(
            centre=almaty, name="Балалар бөлмесі", kind=Room.Kind.KIDS_ROOM, capacity=6
        )

    def test_her_son_is_cared_for_while_she_is_with_the_psychologist(
        self, client, personas, child, kids_room
    ) -> None:
        from mamapro.kidsroom import services as kidsroom
        from mamapro.kidsroom.models import Booking

        now = timezone.now()
        start = now + dt.timedelta(minutes=20)
        kidsroom.add_shift(
            kids_room, personas["tutor"], now - dt.timedelta(hours=1), now + dt.timedelta(hours=3)
        )
        appointment = services.book(
            personas["psychologist"],
            child.parent,
            start,
            start + dt.timedelta(hours=1),
            kids_room_children=[child],
        )
        booking = appointment.kids_room_bookings.get()
        assert (booking.session, booking.starts_at, booking.status) == (None, start, "booked")
        # On the tutor's board: a neutral "individual appointment", never "counselling".
        client.force_login(personas["tutor"])
        board = client.get(reverse("kidsroom:board")).content.decode()
        assert "Individual appointment" in board
        assert "ounsel" not in board
        assert "Әлихан" in board
        response = client.post(
            reverse("kidsroom:check_in", args=[booking.pk]), {"brought_by_name": "Әсел Қасымова"}
        )
        assert response.status_code == 302
        assert Booking.objects.get(pk=booking.pk).checked_in_at is not None
        mother = child.adults.get(relation="mother")
        client.post(reverse("kidsroom:check_out", args=[booking.pk]), {"collected_by": mother.pk})
        assert Booking.objects.get(pk=booking.pk).collected_by == mother

    def test_a_full_kids_room_refuses_the_whole_booking(self, personas, child, kids_room) -> None:
        with pytest.raises(Conflict, match="One more tutor is needed"):
            services.book(
                personas["psychologist"],
                child.parent,
                TOMORROW,
                TOMORROW + dt.timedelta(hours=1),
                kids_room_children=[child],
            )
        assert not Appointment.objects.exists()

    def test_cancelling_gives_the_place_back(self, personas, child, kids_room) -> None:
        from mamapro.kidsroom import services as kidsroom

        kidsroom.add_shift(
            kids_room,
            personas["tutor"],
            TOMORROW - dt.timedelta(hours=1),
            TOMORROW + dt.timedelta(hours=3),
        )
        appointment = services.book(
            personas["psychologist"],
            child.parent,
            TOMORROW,
            TOMORROW + dt.timedelta(hours=1),
            kids_room_children=[child],
        )
        services.set_status(appointment, "cancelled")
        assert appointment.kids_room_bookings.get().status == "cancelled"
