"""Kazakhstan phone numbers and IINs: what people type, and what the checksum allows."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PHONE_JUNK = re.compile(r"[\s()\-.\u00a0]")


def normalise_phone(raw: str) -> str:
    """'8 701 123 45 67', '+7 (701) 123-45-67', '7011234567' → '+77011234567'."""
    text = _PHONE_JUNK.sub("", raw or "")
    if text.startswith("+"):
        if not text.startswith("+7"):
            raise ValidationError(
                _("Enter a Kazakhstan number starting with +7 or 8, e.g. +7 701 123 45 67."),
                code="country",
            )
        digits = text[2:]
    elif len(text) == 11 and text[0] in "78":
        digits = text[1:]
    elif len(text) == 10 and text[0] == "8":
        # "8 701 555 12 3": the trunk 8 and a digit too few, not a number starting with 8.
        raise ValidationError(
            _("A phone number has 10 digits after +7, e.g. +7 701 123 45 67."), code="length"
        )
    else:
        digits = text
    if not digits.isdigit() or len(digits) != 10:
        raise ValidationError(
            _("A phone number has 10 digits after +7, e.g. +7 701 123 45 67."), code="length"
        )
    # Numbers under +7 start with 3, 4, 7 (Kazakhstan), 8 or 9 (Russia); never 0, 1, 2, 5, 6.
    if digits[0] not in "34789":
        raise ValidationError(
            _("This is not a number in use under +7; please check the first digits."),
            code="prefix",
        )
    return "+7" + digits


_IIN_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_IIN_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}


def iin_check_digit(first_eleven: str) -> int | None:
    """The 12th digit of an IIN, or None when the number cannot have a valid one."""
    digits = [int(c) for c in first_eleven]
    check = sum(d * w for d, w in zip(digits, _IIN_WEIGHTS_1, strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, _IIN_WEIGHTS_2, strict=True)) % 11
        if check == 10:
            return None
    return check


def iin_birth_date(iin: str) -> dt.date:
    century = _CENTURY.get(iin[6])
    if century is None:
        raise ValidationError(
            _("The 7th digit of an IIN (century and sex) must be 1 to 6."), code="century"
        )
    try:
        return dt.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        raise ValidationError(
            _("The first six digits of an IIN must be a real birth date (YYMMDD)."), code="date"
        ) from None


def validate_iin(raw: str) -> str:
    """Return the IIN as 12 digits or raise a ValidationError that says what is wrong."""
    iin = (raw or "").replace(" ", "")
    if not (iin.isdigit() and len(iin) == 12):
        raise ValidationError(_("An IIN has exactly 12 digits."), code="length")
    born = iin_birth_date(iin)
    if born > dt.date.today():
        raise ValidationError(_("The birth date in this IIN is in the future."), code="future")
    if iin_check_digit(iin[:11]) != int(iin[11]):
        raise ValidationError(
            _("This IIN's check digit does not match; please check each digit."), code="checksum"
        )
    return iin
