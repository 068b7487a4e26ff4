"""Attack suite: order-based inference. A list that hides her real name behind "Гүлнар" but
sorts her by her real surname tells a trainer which "Жан…" she is. As each role outside the care
team, every list of women (participants, the run's roster, the roll call, the kids' room, the
counselling schedule, and their API twins) is read with her and six women whose surnames sort
around her real surname and around her alias: she must sit where her alias sorts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mamapro.conftest import (
    build_aliased_child,
    build_aliased_survivor,
    build_almaty,
    build_astana,
    build_personas,
)
from mamapro.core.tests import attack_counts
from mamapro.core.tests.attack_counts import COUNTS
from mamapro.core.tests.test_permissions import response_text

pytestmark = pytest.mark.django_db

# Roster names in the order a list that sorts by what the reader sees must give: her alias
# "Гүлнар" between Гулиева and Гуляева, far from Жантасова and Жанузакова, between whom her
# real surname (Жанторина) sorts.
NEIGHBOURS = [
    ("Әбенова", "Назгүл", "Данияр"),
    ("Гулиева", "Айнұр", "Ерасыл"),
    ("Гуляева", "Ольга", "Зере"),
    ("Жантасова", "Меруерт", "Алмас"),
    ("Жанузакова", "Сәуле", "Бекзат"),
    ("Ысқақова", "Гаухар", "Ілияс"),
]
ALIAS = "Гүлнар"
BY_ALIAS = ["Әбенова", "Гулиева", ALIAS, "Гуляева", "Жантасова", "Жанузакова", "Ысқақова"]
# Her daughter Айсұлу and the neighbours' children: sorted by the mother's real surname she
# would sit between Алмас (Жантасова's) and Бекзат (Жанузакова's).
HER_CHILD, CHILD_BEFORE, CHILD_AFTER = "Айсұлу", "Алмас", "Бекзат"


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)
    attack_counts.write("order")


def _build() -> dict[str, Any]:
    from mamapro.centres.models import Room
    from mamapro.counselling import services as counselling
    from mamapro.kidsroom import services as kids
    from mamapro.kidsroom.models import Rules
    from mamapro.people import services as people
    from mamapro.programs.models import Course, Run, Session
    from mamapro.programs.services import enrollment as seats

    almaty, astana = build_almaty(), build_astana()
    personas = build_personas(almaty, astana)
    Room.objects.create(
        centre=almaty, name="Балалар бөлмесі", kind=Room.Kind.KIDS_ROOM, capacity=12
    )
    Rules.objects.create(centre=almaty, children_per_tutor=10, high_support_per_tutor=4)
    today, now = timezone.localdate(), timezone.now()
    run = Run.objects.create(
        course=Course.objects.create(title="Қаржылық сауат", category="financial_literacy"),
        centre=almaty,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=20),
        trainer=personas["trainer"],
        price="0.00",
        kids_room=True,
    )
    session = Session.objects.create(
        run=run,
        centre=almaty,
        starts_at=now - dt.timedelta(minutes=30),
        ends_at=now + dt.timedelta(hours=2),
    )
    room = kids.kids_room_for(almaty.pk)
    assert room is not None
    kids.add_shift(
        room, personas["tutor"], now - dt.timedelta(hours=1), now + dt.timedelta(hours=3)
    )
    # Created, enrolled, booked and given appointments in the alias order: a list ordered by
    # arrival or by time agrees with it, and only one sorted by her real surname does not.
    women, children = [], []
    for i, (family, given, child_name) in enumerate(NEIGHBOURS):
        if family == "Гуляева":
            her = build_aliased_survivor(almaty)
            women.append(her)
            children.append(build_aliased_child(her))
        woman = people.create_participant(
            centre=almaty,
            data={"given_name": given, "family_name": family, "phone": f"+7701666{i:04d}"},
        )
        women.append(woman)
        children.append(
            people.add_child(
                woman, data={"given_name": child_name, "birth_date": dt.date(2020, 1, 1)}
            )
        )
    start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    for i, (woman, child) in enumerate(zip(women, children, strict=True)):
        seats.enroll(run, woman, "paid")
        kids.book(session, child)
        begins = start + dt.timedelta(hours=i)
        counselling.book(personas["psychologist"], woman, begins, begins + dt.timedelta(hours=1))
    return {"personas": personas, "run": run, "session": session, "her": her}


Url = Callable[[dict[str, Any]], str]
# (what, URL from the world, whether the role's work must list her there).
LISTS: dict[str, list[tuple[str, Url, bool]]] = {
    "manager": [
        ("participant list", lambda w: reverse("people:participant_list"), True),
        ("run page", lambda w: reverse("programs:run_detail", args=[w["run"].pk]), False),
        ("API participants", lambda w: "/api/v1/participants", True),
        ("API enrollments", lambda w: f"/api/v1/enrollments?run={w['run'].pk}", False),
    ],
    "comms": [
        ("run page", lambda w: reverse("programs:run_detail", args=[w["run"].pk]), False),
        ("API enrollments", lambda w: f"/api/v1/enrollments?run={w['run'].pk}", False),
    ],
    "trainer": [
        ("participant list", lambda w: reverse("people:participant_list"), True),
        ("run page", lambda w: reverse("programs:run_detail", args=[w["run"].pk]), True),
        ("roll call", lambda w: reverse("programs:roll_call", args=[w["session"].pk]), True),
        ("attendance", lambda w: reverse("programs:run_attendance", args=[w["run"].pk]), True),
        ("API participants", lambda w: "/api/v1/participants", True),
        ("API enrollments", lambda w: f"/api/v1/enrollments?run={w['run'].pk}", False),
        # Marks only: nobody is marked yet, so nobody is listed.
        ("API roll call", lambda w: f"/api/v1/sessions/{w['session'].pk}/attendance", False),
    ],
    "tutor": [
        ("participant list", lambda w: reverse("people:participant_list"), True),
        ("kids' room board", lambda w: reverse("kidsroom:board"), True),
        ("API participants", lambda w: "/api/v1/participants", True),
        ("API kids' room bookings", lambda w: "/api/v1/kidsroom/bookings", False),
        ("API children", lambda w: "/api/v1/children", False),
    ],
    "psychologist": [
        ("participant list", lambda w: reverse("people:participant_list"), True),
        ("counselling schedule", lambda w: reverse("counselling:schedule"), True),
        ("API participants", lambda w: "/api/v1/participants", True),
    ],
}
CASES = [(persona, what) for persona, pages in LISTS.items() for what, _url, _must in pages]


def _positions(text: str, names: list[str]) -> dict[str, int]:
    return {name: text.find(name) for name in names if name in text}


@pytest.mark.parametrize(("persona", "what"), CASES)
def test_she_sits_where_her_alias_sorts(world, token_for, persona: str, what: str) -> None:
    url, must_list = next((u(world), m) for w, u, m in LISTS[persona] if w == what)
    client = Client(headers={"Accept-Language": "en"})
    user = world["personas"][persona]
    if url.startswith("/api/"):
        response = client.get(url, headers=token_for(user))
    else:
        client.force_login(user)
        response = client.get(url)
    assert response.status_code == 200, f"{persona} {url}: {response.status_code}"
    COUNTS["order:lists read"] += 1
    text = response_text(response)
    if url.startswith("/api/"):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    seen = _positions(text, BY_ALIAS)
    if ALIAS not in seen:
        assert not must_list, f"her work lists her, but {persona}'s {what} does not ({url})"
        return
    order = sorted(seen, key=seen.__getitem__)
    expected = [name for name in BY_ALIAS if name in seen]
    assert order == expected, (
        f"{persona}'s {what} ({url}) orders the women {order}: a list that shows her as "
        f"{ALIAS!r} must sort her there, not by her real surname"
    )
    kids = _positions(text, [HER_CHILD, CHILD_BEFORE, CHILD_AFTER])
    if len(kids) == 3:
        assert not (kids[CHILD_BEFORE] < kids[HER_CHILD] < kids[CHILD_AFTER]), (
            f"{persona}'s {what} ({url}) sorts her daughter by her mother's real surname"
        )


def test_the_lists_would_show_a_real_surname_order(world, client) -> None:
    """The control: the care team sees her real name, sorted by it, between Жантасова and
    Жанузакова; so a list that sorted everyone that way would fail the test above."""
    client.force_login(world["personas"]["coordinator"])
    text = response_text(client.get(reverse("people:participant_list")))
    seen = _positions(text, ["Гуляева", "Жантасова", "Жанторина", "Жанузакова"])
    assert sorted(seen, key=seen.__getitem__) == ["Гуляева", "Жантасова", "Жанторина", "Жанузакова"]
    assert ALIAS not in text or text.find(ALIAS) > seen["Жантасова"]
