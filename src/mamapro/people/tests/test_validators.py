from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from mamapro.centres.models import Centre
from mamapro.core.text import fold
from mamapro.people import services
from mamapro.people.models import Child, ChildAdult, Participant
from mamapro.people.validators import iin_birth_date, iin_check_digit, normalise_phone, validate_iin


@pytest.mark.parametrize(
    "typed",
    [
        "8 701 123 45 67",
        "+7 (701) 123-45-67",
        "87011234567",
        "+77011234567",
        "7011234567",
        "7 701 123 4567",
    ],
)
def test_phone_numbers_as_people_type_them(typed: str) -> None:
    assert normalise_phone(typed) == "+77011234567"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("+1 202 555 0101", "starting with +7 or 8"),
        ("8 701 123 45", "10 digits after +7"),
        ("8 701 123 45 678", "10 digits after +7"),
        ("call me", "10 digits after +7"),
        ("8 701 555 12 3", "10 digits after +7"),
        ("0001112233", "not a number in use"),
        ("+7 100 123 45 67", "not a number in use"),
        ("", "10 digits after +7"),
    ],
)
def test_bad_phone_numbers_say_what_is_wrong(typed: str, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        normalise_phone(typed)


def _valid_iin(prefix: str) -> str:
    for serial in range(10000):
        first = f"{prefix}{serial:04d}"
        check = iin_check_digit(first)
        if check is not None:
            return first + str(check)
    raise AssertionError("no valid IIN")


def test_valid_iin_and_its_birth_date() -> None:
    iin = _valid_iin("9002154")
    assert validate_iin(iin) == iin
    assert iin_birth_date(iin) == dt.date(1990, 2, 15)
    assert iin_birth_date(_valid_iin("0507146")) == dt.date(2005, 7, 14)


def test_iin_second_weight_round_is_used_when_the_first_gives_ten() -> None:
    # Find an 11-digit prefix whose first weighted sum is 10 mod 11, then check it validates.
    for serial in range(10000):
        first = f"8803124{serial:04d}"
        digits = [int(c) for c in first]
        if sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 == 10:
            check = iin_check_digit(first)
            if check is not None:
                assert validate_iin(first + str(check))
                return
    pytest.fail("no prefix exercised the second round")


@pytest.mark.parametrize(
    ("iin", "message"),
    [
        ("12345", "exactly 12 digits"),
        ("9002154500a7", "exactly 12 digits"),
        ("901315400000", "real birth date"),
        ("900215900000", "7th digit"),
    ],
)
def test_invalid_iin_messages(iin: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_iin(iin)


def test_wrong_check_digit_is_refused() -> None:
    iin = _valid_iin("9002154")
    wrong = iin[:11] + str((int(iin[11]) + 1) % 10)
    with pytest.raises(ValidationError, match="check digit"):
        validate_iin(wrong)


def test_future_birth_date_is_refused() -> None:
    with pytest.raises(ValidationError, match="future"):
        validate_iin(_valid_iin("9912316"))  # 2099-12-31


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ӘЛИЯ", "әлия"),
        ("Қожахметова", "кожахметова"),
        ("ҰЛЖАН", "улжан"),
        ("Үміт", "умит"),
        ("Гүлжаһан", "гулжахан"),
        ("Алёна", "алена"),
        ("ІҢКӘР", "инкар"),
    ],
)
def test_fold_matches_kazakh_and_russian_in_any_case(a: str, b: str) -> None:
    assert fold(a) == fold(b)


# --- Hidden characters in names (issue 9 finding 15) ----------------------------------------

RLO = "\u202e"  # right-to-left override: "Айгүл\u202eавонапсО" displays as "Айгүл Оспанова"
ZWSP = "\u200b"


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("given_name", "Given name"),
        ("family_name", "Family name"),
        ("patronymic", "Patronymic"),
        ("latin_name", "Name in Latin script"),
        ("alias", "Name on rosters"),
    ],
)
@pytest.mark.parametrize("char", [RLO, ZWSP, "\ufeff", "\x07"])
def test_participant_names_refuse_hidden_characters(
    almaty: Centre, field: str, label: str, char: str
) -> None:
    data = {"given_name": "Айгүл", "family_name": "Оспанова", "phone": "+77015559001"}
    data[field] = f"Ай{char}гүл"
    with pytest.raises(ValidationError) as caught:
        services.create_participant(centre=almaty, data=data)
    messages = caught.value.message_dict[field]
    assert messages[0].startswith(f"{label} contains a hidden or control character"), messages
    assert f"U+{ord(char):04X}" in messages[0]
    assert not Participant.objects.filter(phone="+77015559001").exists()


def test_participant_edit_refuses_hidden_characters_and_keeps_her_name(
    make_participant: Any,
) -> None:
    woman = make_participant(alias="Гүлнар")
    with pytest.raises(ValidationError) as caught:
        services.update_participant(woman, data={"alias": f"Гүл{RLO}ранүГ"})
    assert list(caught.value.message_dict) == ["alias"]
    assert Participant.objects.get(pk=woman.pk).alias == "Гүлнар"


def test_participant_names_are_stored_nfc(almaty: Centre) -> None:
    woman = services.create_participant(
        centre=almaty,
        data={"given_name": "Маи\u0306я", "family_name": "A\u0308bdi", "phone": "+77015559002"},
    )
    stored = Participant.objects.get(pk=woman.pk)
    assert (stored.given_name, stored.family_name) == ("Ма\u0439я", "\u00c4bdi")


@pytest.mark.parametrize(
    ("field", "label"), [("given_name", "Given name"), ("family_name", "Family name")]
)
def test_child_names_refuse_hidden_characters(
    survivor: Participant, field: str, label: str
) -> None:
    data: dict[str, Any] = {"given_name": "Әлихан", "birth_date": dt.date(2019, 5, 4)}
    data[field] = f"Әли{ZWSP}хан"
    with pytest.raises(ValidationError) as caught:
        services.add_child(survivor, data=data)
    assert caught.value.message_dict[field][0].startswith(f"{label} contains a hidden")
    assert not Child.objects.filter(parent=survivor).exists()


def test_child_edit_refuses_hidden_characters(child: Child) -> None:
    with pytest.raises(ValidationError) as caught:
        services.update_child(child, data={"given_name": f"Әли{RLO}хан"})
    assert list(caught.value.message_dict) == ["given_name"]
    assert Child.objects.get(pk=child.pk).given_name == "Әлихан"


def test_adult_names_refuse_hidden_characters(child: Child) -> None:
    # A restricted adult written "Ерлан\u200bҚасымов" would not match the name a tutor types.
    before = child.adults.count()
    with pytest.raises(ValidationError) as caught:
        services.add_adult(
            child, data={"name": f"Ерлан{ZWSP}Қасымов", "relation": "father", "authorised": False}
        )
    assert caught.value.message_dict["name"][0].startswith("Name contains a hidden")
    assert ChildAdult.objects.filter(child=child).count() == before
    restricted = child.adults.get(authorised=False)
    with pytest.raises(ValidationError):
        services.update_adult(restricted, data={"name": f"Ерлан {RLO}вомысаҚ"})
    assert ChildAdult.objects.get(pk=restricted.pk).name == "Ерлан Қасымов"


def test_api_names_the_field_of_a_hidden_character(
    personas: dict[str, Any], almaty: Centre, client: Any, token_for: Any
) -> None:
    response = client.post(
        "/api/v1/participants",
        data={
            "centre": almaty.pk,
            "given_name": "Айгүл",
            "family_name": f"Оспанова{RLO}",
            "phone": "+77015559003",
        },
        content_type="application/json",
        headers=token_for(personas["coordinator"]),
    )
    assert response.status_code == 422, response.content
    assert "family_name" in response.content.decode()
    assert "U+202E" in response.content.decode()
    assert not Participant.objects.filter(phone="+77015559003").exists()


def test_the_web_form_shows_the_message_at_the_field(
    personas: dict[str, Any], almaty: Centre, client: Any
) -> None:
    client.force_login(personas["coordinator"])
    response = client.post(
        reverse("people:participant_create"),
        {
            "centre": almaty.pk,
            "given_name": f"Айгүл{ZWSP}",
            "family_name": "Оспанова",
            "phone": "+77015559004",
            "language": "kk",
            "status": "applicant",
        },
    )
    assert response.status_code == 200
    assert "given_name" in response.context["form"].errors
    assert "Given name contains a hidden or control character (U+200B)" in (
        response.content.decode()
    )
    assert not Participant.objects.filter(phone="+77015559004").exists()
