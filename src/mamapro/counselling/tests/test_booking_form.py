"""Issue 9, findings 2, 11, 14 (counselling): the booking form lists a psychologist's own clients
only, by the name she may see; a new client is found by her exact phone or full name, audited;
a psychologist reaches her clients only; an impossible `?from=` is a 400 naming it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.core.models import AuditEntry
from mamapro.counselling import queries, services
from mamapro.counselling.models import Appointment
from mamapro.people import reach
from mamapro.people import services as people
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db

TOMORROW = timezone.now() + dt.timedelta(days=1)
HIDDEN = {
    "given_name": "Сандуғаш",
    "family_name": "Жанторина",
    "patronymic": "Бақытжанқызы",
    "alias": "Гүлнар",
    "phone": "+77089412763",
    "language": "kk",
}


@pytest.fixture
def hidden(almaty) -> Participant:
    """A survivor hiding behind the roster alias "Гүлнар"; not (yet) anyone's client."""
    return people.create_participant(
        centre=almaty, data=HIDDEN, circumstances=("domestic_violence",)
    )


@pytest.fixture
def client_of_hers(personas, make_participant) -> Participant:
    woman = make_participant(
        given_name="Мадина", family_name="Әлиева", alias="Мәди", phone="+77015550777"
    )
    services.book(personas["psychologist"], woman, TOMORROW, TOMORROW + dt.timedelta(hours=1))
    return woman


def _page(client, user, **params) -> str:
    client.force_login(user)
    return client.get(reverse("counselling:appointment_create"), params).content.decode()


def _find(client, query: str) -> str:
    return client.get(reverse("counselling:client_find"), {"q": query}).content.decode()


def _token(html: str) -> str:
    start = html.index('name="found" value="') + len('name="found" value="')
    return html[start : html.index('"', start)]


def _secrets(woman: Participant) -> list[str]:
    return [woman.given_name, woman.family_name, woman.phone, woman.phone[-4:]]


# --- Finding 2: the form offers her own clients, by the name she may see -----------------------
def test_the_form_lists_her_clients_by_shown_name_and_nobody_else(
    client, personas, hidden, client_of_hers, survivor
) -> None:
    html = _page(client, personas["psychologist"])
    assert f">{client_of_hers.alias}</option>" in html
    for woman in (hidden, survivor):
        for secret in _secrets(woman):
            assert secret not in html, secret
    for secret in _secrets(client_of_hers):
        assert secret not in html, secret
    assert hidden.alias not in html
    select = html[html.index('<select name="participant"') :]
    select = select[: select.index("</select>")]
    assert select.count("<option") == 2  # "a new client" and her one client


def test_an_exact_phone_or_full_name_finds_her_by_shown_name_only(client, personas, hidden) -> None:
    client.force_login(personas["psychologist"])
    for typed in (
        "+7 708 941 27 63",
        "87089412763",
        "Жанторина Сандуғаш",
        "сандуғаш жанторина",
        "ЖАНТОРИНА САНДУҒАШ БАҚЫТЖАНҚЫЗЫ",
    ):
        html = _find(client, typed)
        # Not her client yet: a neutral label, never the alias behind the name she typed.
        assert "> the woman you searched for</label>" in html, typed
        assert hidden.alias not in html, typed
        for secret in _secrets(hidden):
            assert secret not in html, (typed, secret)
        assert queries.from_token(personas["psychologist"], _token(html)) == hidden


def test_near_misses_another_centre_and_nobody_answer_the_same(
    client, personas, hidden, astana
) -> None:
    people.create_participant(
        centre=astana,
        data={"given_name": "Айнұр", "family_name": "Берікова", "phone": "+77011112233"},
    )
    client.force_login(personas["psychologist"])
    answers = {
        typed: _find(client, typed)
        for typed in (
            "+7 708 941 27",  # part of her phone
            "941 27 63",
            "Жанторина",  # her family name alone
            "Жантор Сандуғаш",  # part of a name
            "Сандуғаш",
            "Гүлнар",  # her alias is not a full name either
            "+77011112233",  # a woman of another centre
            "Берікова Айнұр",
            "+77000000000",  # nobody
            "Иванова Мария",
        )
    }
    assert len(set(answers.values())) == 1, answers
    (only,) = set(answers.values())
    assert "No one found" in only
    assert 'name="found"' not in only


def test_every_search_is_audited_without_what_was_typed(client, personas, hidden) -> None:
    client.force_login(personas["psychologist"])
    before = AuditEntry.objects.count()
    _find(client, "+7 708 941 27 63")
    _find(client, "Иванова Мария")
    _find(client, "x")
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert [e.details["found"] for e in entries] == [1, 0, 0]
    assert [e.details["counselling_search"] for e in entries] == ["phone", "name", "unusable"]
    assert entries[0].object_id == str(hidden.pk)
    assert {e.actor_id for e in entries} == {personas["psychologist"].pk}
    logged = json.dumps([e.details for e in entries], ensure_ascii=False).casefold()
    for secret in ("8941", "7089412763", "иванова", "мария"):
        assert secret not in logged
    assert entries[0].details["digest"]
    assert entries[1].details["digest"]


def test_she_books_the_woman_she_found_who_then_is_her_client(client, personas, hidden) -> None:
    client.force_login(personas["psychologist"])
    token = _token(_find(client, "87089412763"))
    response = client.post(
        reverse("counselling:appointment_create"),
        {"found": token, "day": TOMORROW.date().isoformat(), "starts": "10:00", "ends": "11:00"},
    )
    assert response.status_code == 302
    assert Appointment.objects.get().participant == hidden
    assert f">{hidden.alias}</option>" in _page(client, personas["psychologist"])


def test_without_script_the_search_answers_on_the_booking_page(client, personas, hidden) -> None:
    html = _page(client, personas["psychologist"], q="87089412763")
    assert "> the woman you searched for</label>" in html
    assert hidden.alias not in html
    assert hidden.family_name not in html


def test_a_search_names_her_own_client_as_she_knows_her(client, personas, hidden) -> None:
    """Once the woman is her client (they have met), the answer names her by the alias the
    psychologist already sees on her schedule."""
    services.book(personas["psychologist"], hidden, TOMORROW, TOMORROW + dt.timedelta(hours=1))
    client.force_login(personas["psychologist"])
    html = _find(client, "87089412763")
    assert f"> {hidden.alias}</label>" in html


@pytest.mark.parametrize("how", ["guessed id", "forged token", "her colleague's token"])
def test_a_woman_not_found_by_her_cannot_be_booked(
    client, personas, hidden, make_user, almaty, how
) -> None:
    from mamapro.core.permissions import Role

    colleague = make_user("psychologist-2", Role.PSYCHOLOGIST, almaty)
    data = {"day": TOMORROW.date().isoformat(), "starts": "10:00", "ends": "11:00"}
    if how == "guessed id":
        data["participant"] = str(hidden.pk)
    elif how == "forged token":
        data["found"] = queries.token_for(personas["psychologist"], hidden)[:-3] + "abc"
    else:
        data["found"] = queries.token_for(colleague, hidden)
    client.force_login(personas["psychologist"])
    response = client.post(reverse("counselling:appointment_create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "has-error" in html
    for secret in _secrets(hidden):
        assert secret not in html
    assert not Appointment.objects.exists()


# --- Finding 11: a psychologist reaches her own clients -----------------------------------------
def test_a_psychologist_reaches_her_own_clients_only(
    personas, client_of_hers, hidden, make_user, almaty
) -> None:
    from mamapro.core.permissions import Role

    colleague = make_user("psychologist-2", Role.PSYCHOLOGIST, almaty)
    mine = reach.within_reach(Participant.objects.all(), personas["psychologist"])
    assert list(mine) == [client_of_hers]
    assert not reach.within_reach(Participant.objects.all(), colleague).exists()
    # A cancelled appointment still makes her a client (the notes remain hers to read).
    appointment = Appointment.objects.get()
    services.set_status(appointment, "cancelled")
    assert list(reach.within_reach(Participant.objects.all(), personas["psychologist"])) == [
        client_of_hers
    ]


# --- Finding 14: a day that does not exist is a 400 naming `from` ---------------------------------
@pytest.mark.parametrize(
    "day", ["2026-02-30", "2026-13-01", "0001-01-01", "9999-12-31", "yesterday", "2026-1-1"]
)
def test_an_impossible_from_is_a_400_naming_it(client, personas, day) -> None:
    client.force_login(personas["coordinator"])
    response = client.get(reverse("counselling:schedule"), {"from": day})
    assert response.status_code == 400
    assert "“from”" in response.content.decode()


def test_a_real_from_shows_that_week(client, personas) -> None:
    client.force_login(personas["coordinator"])
    response = client.get(reverse("counselling:schedule"), {"from": "2026-03-02"})
    assert response.status_code == 200
    assert "Week from 2 March" in response.content.decode()


def test_her_appointment_names_her_and_her_child_as_the_psychologist_may_see_them(
    client, personas, hidden, almaty
) -> None:
    from mamapro.centres.models import Room
    from mamapro.kidsroom import services as kidsroom

    kid = people.add_child(
        hidden,
        data={
            "given_name": "Айсұлу",
            "family_name": hidden.family_name,
            "birth_date": dt.date(2020, 3, 9),
        },
    )
    room = Room.objects.create(centre=almaty, name="Балалар", kind=Room.Kind.KIDS_ROOM, capacity=6)
    now = timezone.now()
    kidsroom.add_shift(room, personas["tutor"], now, now + dt.timedelta(hours=4))
    start = now + dt.timedelta(minutes=30)
    appointment = services.book(
        personas["psychologist"],
        hidden,
        start,
        start + dt.timedelta(hours=1),
        kids_room_children=[kid],
    )
    client.force_login(personas["psychologist"])
    html = client.get(reverse("counselling:appointment", args=[appointment.pk])).content.decode()
    assert f"<h1>{hidden.alias}</h1>" in html
    assert "Kids' room: Айсұлу" in html  # never her family name (below)
    for secret in _secrets(hidden):
        assert secret not in html
    schedule = client.get(
        reverse("counselling:schedule"), {"from": start.date().isoformat()}
    ).content.decode()
    assert hidden.alias in schedule
    assert hidden.family_name not in schedule


def test_an_empty_search_asks_nothing_and_records_nothing(client, personas) -> None:
    client.force_login(personas["psychologist"])
    before = AuditEntry.objects.count()
    html = _find(client, "   ")
    assert "No one found" not in html
    assert AuditEntry.objects.count() == before
