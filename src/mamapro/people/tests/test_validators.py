from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError

from mamapro.core.text import fold
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
