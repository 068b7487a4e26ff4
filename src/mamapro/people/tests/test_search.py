"""Search is case-insensitive for Kazakh and Russian letters, identically on both databases."""

from __future__ import annotations

import pytest

from mamapro.people.queries import search_participants

pytestmark = pytest.mark.django_db


@pytest.fixture
def women(make_participant, astana):
    return {
        "aliya": make_participant(
            given_name="Әлия", family_name="Қожахметова", phone="+77015550001"
        ),
        "ulzhan": make_participant(given_name="Ұлжан", family_name="Үсенова", phone="+77015550002"),
        "alena": make_participant(given_name="Алёна", family_name="Ким", phone="+77475550003"),
        "gulzhahan": make_participant(
            given_name="Гүлжаһан", family_name="Ізбасарова", phone="+77015550004"
        ),
        "astana": make_participant(
            astana, given_name="Әлия", family_name="Серікова", phone="+77015550005"
        ),
    }


def _names(user, query: str) -> set[str]:
    return {p.given_name + " " + p.family_name for p in search_participants(user, query)}


@pytest.mark.parametrize(
    "query",
    ["ӘЛИЯ", "әлия", "Әлия", "қожах", "ҚОЖАХМЕТОВА", "кожах", "АЛИЯ кожахметова", "ожахмет"],
)
def test_finds_her_by_any_case_of_any_part_of_her_name(personas, women, query: str) -> None:
    assert _names(personas["coordinator"], query) == {"Әлия Қожахметова"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ұлжан", {"Ұлжан Үсенова"}),
        ("ҮСЕН", {"Ұлжан Үсенова"}),
        ("алена", {"Алёна Ким"}),
        ("АЛЁНА", {"Алёна Ким"}),
        ("гүлжаһан", {"Гүлжаһан Ізбасарова"}),
        ("ІЗБАС", {"Гүлжаһан Ізбасарова"}),
    ],
)
def test_kazakh_specific_letters_and_yo(personas, women, query: str, expected: set[str]) -> None:
    assert _names(personas["coordinator"], query) == expected


@pytest.mark.parametrize("query", ["8 747 555", "0003", "+7747555"])
def test_finds_her_by_phone_digits(personas, women, query: str) -> None:
    assert _names(personas["coordinator"], query) == {"Алёна Ким"}


def test_search_stays_inside_the_users_centres(personas, women) -> None:
    assert _names(personas["coordinator"], "әлия") == {"Әлия Қожахметова"}
    assert _names(personas["outsider"], "әлия") == {"Әлия Серікова"}
    assert _names(personas["director"], "әлия") == {"Әлия Қожахметова", "Әлия Серікова"}


def test_names_that_start_with_the_word_come_first(personas, make_participant) -> None:
    make_participant(given_name="Ғалия", family_name="Абаева", phone="+77015550010")
    make_participant(given_name="Алия", family_name="Жұмабаева", phone="+77015550011")
    found = [p.given_name for p in search_participants(personas["coordinator"], "алия")]
    assert found == ["Алия", "Ғалия"]


def test_list_order_puts_kazakh_letters_beside_their_look_alikes(
    personas, make_participant
) -> None:
    for family in ["Ізбасарова", "Ахметова", "Әлімжанова", "Ибрагимова", "Қасымова", "Жұмабаева"]:
        make_participant(family_name=family)
    order = [p.family_name for p in search_participants(personas["coordinator"])]
    assert order == ["Әлімжанова", "Ахметова", "Жұмабаева", "Ибрагимова", "Ізбасарова", "Қасымова"]
