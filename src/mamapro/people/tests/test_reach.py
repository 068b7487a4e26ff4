"""Who reaches whom (issue 9, findings 11 and 3): a trainer, tutor or psychologist sees only the
women and children her work brings her, on every people path; outside the care team lists are
ordered by what the role sees, so an aliased woman's place never gives away her surname; a
child of an aliased mother (given name only) and the adults around her (the mother by her
alias, the others by given name and initial) do not carry her real family name to those
roles."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from mamapro.conftest import build_user
from mamapro.core.permissions import Role
from mamapro.people import services
from mamapro.people.models import Child, Participant

pytestmark = pytest.mark.django_db

WORK_ROLES = ["trainer", "tutor", "psychologist"]
# Roles that see names but not who a woman really is behind her alias.
NON_CARE = ["manager", "trainer", "tutor", "psychologist"]


def _get(client: Client, user, url: str, **headers):
    client.force_login(user)
    return client.get(url, headers=headers)


def _api(client: Client, token_for, user, path: str, **params):
    return client.get("/api/v1" + path, params, headers=token_for(user))


@pytest.fixture
def other(make_participant) -> Participant:
    """A woman of the same centre whom none of the work roles' work reaches."""
    return make_participant(given_name="Гүлмира", family_name="Бекенова")


@pytest.fixture
def other_child(other) -> Child:
    return services.add_child(
        other, data={"given_name": "Нұрсұлтан", "birth_date": dt.date(2020, 6, 1)}
    )


@pytest.mark.parametrize("role", WORK_ROLES)
def test_without_a_rule_a_work_role_reaches_nobody(
    client, token_for, personas, child, role
) -> None:
    user = personas[role]
    survivor = child.parent
    assert "Қасымова" not in _get(client, user, reverse("people:participant_list")).content.decode()
    detail = reverse("people:participant_detail", args=[survivor.pk])
    assert _get(client, user, detail).status_code == 404
    assert _api(client, token_for, user, "/participants").json()["count"] == 0
    assert _api(client, token_for, user, f"/participants/{survivor.pk}").status_code == 404
    if role == "tutor":
        assert (
            _get(client, user, reverse("people:child_detail", args=[child.pk])).status_code == 404
        )
        assert _api(client, token_for, user, "/children").json()["count"] == 0
        assert _api(client, token_for, user, f"/children/{child.pk}").status_code == 404
        assert _api(client, token_for, user, f"/children/{child.pk}/adults").status_code == 404


@pytest.mark.parametrize("role", WORK_ROLES)
def test_a_work_role_reaches_only_the_women_of_her_work(
    client, token_for, personas, child, other, other_child, reaches, role
) -> None:
    reaches(role, participants=[child.parent], children=[child])
    user = personas[role]
    html = _get(client, user, reverse("people:participant_list")).content.decode()
    assert "Қасымова" in html
    assert "Бекенова" not in html
    # Searching by her name does not find her either.
    found = _get(client, user, reverse("people:participant_list") + "?q=Бекенова")
    assert "No one matches this search" in found.content.decode()
    assert (
        _get(client, user, reverse("people:participant_detail", args=[child.parent_id])).status_code
        == 200
    )
    assert (
        _get(client, user, reverse("people:participant_detail", args=[other.pk])).status_code == 404
    )
    listed = _api(client, token_for, user, "/participants").json()
    assert [p["id"] for p in listed["items"]] == [child.parent_id]
    assert listed["count"] == 1
    assert _api(client, token_for, user, "/participants", search="Бекенова").json()["count"] == 0
    assert _api(client, token_for, user, f"/participants/{other.pk}").status_code == 404
    if role == "tutor":
        assert (
            _get(client, user, reverse("people:child_detail", args=[child.pk])).status_code == 200
        )
        for url in (
            reverse("people:child_detail", args=[other_child.pk]),
            reverse("people:child_photo", args=[other_child.pk]),
        ):
            assert _get(client, user, url).status_code == 404, url
        children = _api(client, token_for, user, "/children").json()
        assert [c["id"] for c in children["items"]] == [child.pk]
        assert _api(client, token_for, user, "/children", parent=other.pk).json()["count"] == 0
        assert _api(client, token_for, user, f"/children/{other_child.pk}").status_code == 404
        adults = _api(client, token_for, user, f"/children/{other_child.pk}/adults")
        assert adults.status_code == 404


def test_the_care_team_and_the_manager_reach_the_whole_centre(
    client, token_for, personas, child, other
) -> None:
    for role in ("director", "coordinator", "manager"):
        listed = _api(client, token_for, personas[role], "/participants").json()
        assert {p["id"] for p in listed["items"]} == {child.parent_id, other.pk}, role


def test_a_coordinator_elsewhere_and_a_trainer_here_reaches_only_her_runs_here(
    client, token_for, personas, child, other, astana, reaches
) -> None:
    """Reach is per centre: a role's rule never widens to the centre where she has another."""
    both = build_user("both", Role.COORDINATOR, astana)
    both.memberships.create(role=Role.TRAINER, centre=child.centre)
    reaches("trainer", participants=[child.parent])
    listed = _api(client, token_for, both, "/participants").json()
    assert [p["id"] for p in listed["items"]] == [child.parent_id]
    assert _api(client, token_for, both, f"/participants/{other.pk}").status_code == 404


def test_out_of_reach_is_the_same_404_as_another_centre(client, token_for, personas, other) -> None:
    """Existence never leaks: the answer for a woman out of reach is the one for no woman."""
    trainer = personas["trainer"]
    missing = other.pk + 1000
    for path in (f"/participants/{other.pk}", f"/participants/{missing}"):
        response = _api(client, token_for, trainer, path)
        assert response.status_code == 404
    assert (
        _api(client, token_for, trainer, f"/participants/{other.pk}").content
        == _api(client, token_for, trainer, f"/participants/{missing}").content
    )


# --- Order inference (finding 3) ------------------------------------------------------------


@pytest.fixture
def roster(make_participant) -> dict[str, Participant]:
    """Four women; the aliased one's real surname sorts first, her alias last."""
    return {
        "Әбенова": make_participant(family_name="Әбенова", given_name="Дина", alias="Шолпан"),
        "Ғалиева": make_participant(family_name="Ғалиева", given_name="Дана"),
        "Мұратова": make_participant(family_name="Мұратова", given_name="Жанна"),
        "Серікова": make_participant(family_name="Серікова", given_name="Айша"),
    }


def _names_in_order(html: str, names: list[str]) -> list[str]:
    found = [(html.index(n), n) for n in names if n in html]
    return [n for _i, n in sorted(found)]


@pytest.mark.parametrize("role", NON_CARE)
def test_an_aliased_woman_sits_where_her_alias_sorts(
    client, token_for, personas, roster, reaches, role
) -> None:
    reaches(role, participants=roster.values())
    user = personas[role]
    expected = ["Ғалиева", "Мұратова", "Серікова", "Шолпан"]
    html = _get(client, user, reverse("people:participant_list")).content.decode()
    assert "Әбенова" not in html
    assert _names_in_order(html, expected) == expected
    items = _api(client, token_for, user, "/participants").json()["items"]
    assert [p["family_name"] or p["given_name"] for p in items] == expected


@pytest.mark.parametrize("role", ["coordinator", "director"])
def test_the_care_team_keeps_the_real_order(client, token_for, personas, roster, role) -> None:
    items = _api(client, token_for, personas[role], "/participants").json()["items"]
    assert [p["family_name"] for p in items] == ["Әбенова", "Ғалиева", "Мұратова", "Серікова"]


def test_a_search_ranks_by_what_the_role_sees(
    client, token_for, personas, make_participant, reaches
) -> None:
    """Names starting with the typed word come first: outside the care team "starting" is
    judged on what she is shown (the alias), never on her real surname."""
    aliased = make_participant(family_name="Тоқтарова", given_name="Дина", alias="Ләззат")
    plain = make_participant(family_name="Уәлиева", given_name="Тамара")
    reaches("trainer", participants=[aliased, plain])
    items = _api(client, token_for, personas["trainer"], "/participants", search="т").json()
    # Her alias has a "т" but does not start with one: she comes second.
    assert [p["id"] for p in items["items"]] == [plain.pk, aliased.pk]
    care = _api(client, token_for, personas["coordinator"], "/participants", search="то").json()
    assert care["items"][0]["id"] == aliased.pk


# --- A child of an aliased mother -----------------------------------------------------------


@pytest.fixture
def aliased_family(make_participant) -> Child:
    mother = make_participant(family_name="Бекова", given_name="Сауле", alias="Жібек")
    kid = services.add_child(
        mother,
        data={"given_name": "Айсұлу", "family_name": "Бекова", "birth_date": dt.date(2019, 3, 2)},
    )
    services.add_adult(kid, data={"name": "Сауле Бекова", "relation": "mother"})
    services.add_adult(kid, data={"name": "Күлпаш Бекова", "relation": "grandmother"})
    return kid


def test_a_tutor_never_sees_the_real_family_name_through_the_child(
    client, token_for, personas, aliased_family, reaches
) -> None:
    kid = aliased_family
    reaches("tutor", participants=[kid.parent], children=[kid])
    tutor = personas["tutor"]
    pages = [
        _get(client, tutor, reverse("people:child_detail", args=[kid.pk])),
        _get(client, tutor, reverse("people:participant_detail", args=[kid.parent_id])),
        _get(client, tutor, reverse("people:participant_list")),
        _api(client, token_for, tutor, "/children"),
        _api(client, token_for, tutor, f"/children/{kid.pk}"),
        _api(client, token_for, tutor, f"/children/{kid.pk}/adults"),
        _api(client, token_for, tutor, f"/participants/{kid.parent_id}"),
    ]
    for response in pages:
        assert response.status_code == 200
        text = response.content.decode()
        if response["Content-Type"].startswith("application/json"):
            text = json.dumps(response.json(), ensure_ascii=False)
        assert "Бекова" not in text, response.wsgi_request.path
        assert "Сауле" not in text, response.wsgi_request.path
    card = pages[0].content.decode()
    assert "<h1>Айсұлу</h1>" in card
    assert "Жібек · Mother" in re.sub(r"\s+", " ", card)
    assert "Күлпаш Б. · Grandmother" in re.sub(r"\s+", " ", card)
    assert pages[4].json()["family_name"] == ""
    assert {a["name"] for a in pages[5].json()["items"]} == {"Жібек", "Күлпаш Б."}


def test_the_care_team_sees_the_child_and_adults_as_recorded(
    client, token_for, personas, aliased_family
) -> None:
    kid = aliased_family
    coordinator = personas["coordinator"]
    card = _get(client, coordinator, reverse("people:child_detail", args=[kid.pk])).content
    assert "Айсұлу Бекова" in card.decode()
    assert "Сауле Бекова" in card.decode()
    assert _api(client, token_for, coordinator, f"/children/{kid.pk}").json()["family_name"] == (
        "Бекова"
    )


def test_a_child_family_name_is_never_guessed_from_the_mother(client, personas, survivor) -> None:
    client.force_login(personas["coordinator"])
    client.post(
        reverse("people:child_create", args=[survivor.pk]),
        {
            "given_name": "Інжу",
            "family_name": "",
            "birth_date": "2020-03-01",
            "support_level": "standard",
            "communication": "verbal",
        },
    )
    kid = Child.objects.get(parent=survivor)
    assert kid.family_name == ""


def test_her_page_lists_only_the_children_the_tutor_reaches(
    client, personas, child, reaches
) -> None:
    """A tutor reaches the children booked in her room: a brother who is not stays off his
    mother's page too."""
    brother = services.add_child(
        child.parent, data={"given_name": "Нұрбол", "birth_date": dt.date(2016, 2, 1)}
    )
    reaches("tutor", participants=[child.parent], children=[child])
    url = reverse("people:participant_detail", args=[child.parent_id])
    html = _get(client, personas["tutor"], url).content.decode()
    assert "Әлихан" in html
    assert "Нұрбол" not in html
    assert "Нұрбол" in _get(client, personas["coordinator"], url).content.decode()
    assert (
        _get(
            client, personas["tutor"], reverse("people:child_detail", args=[brother.pk])
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", NON_CARE)
def test_her_latin_script_name_stays_behind_her_alias(
    client, token_for, personas, make_participant, reaches, role
) -> None:
    her = make_participant(
        family_name="Жантөрина", given_name="Сандуғаш", alias="Ақниет", latin_name="Zhantorina S"
    )
    reaches(role, participants=[her])
    html = _get(client, personas[role], reverse("people:participant_detail", args=[her.pk]))
    assert "Ақниет" in html.content.decode()
    assert "Zhantorina" not in html.content.decode()
    assert (
        "Zhantorina"
        not in _api(client, token_for, personas[role], f"/participants/{her.pk}").content.decode()
    )
    coordinator = _get(
        client, personas["coordinator"], reverse("people:participant_detail", args=[her.pk])
    )
    assert "Zhantorina" in coordinator.content.decode()


def test_the_list_counts_only_the_children_the_tutor_reaches(
    client, personas, child, reaches
) -> None:
    services.add_child(
        child.parent, data={"given_name": "Нұрбол", "birth_date": dt.date(2016, 2, 1)}
    )
    reaches("tutor", participants=[child.parent], children=[child])
    html = _get(client, personas["tutor"], reverse("people:participant_list")).content.decode()
    assert "1 child" in html
    assert "2 children" not in html
    html = _get(
        client, personas["coordinator"], reverse("people:participant_list")
    ).content.decode()
    assert "2 children" in html
