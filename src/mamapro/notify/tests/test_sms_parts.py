"""SMS part counting: GSM-7 160/153 with the extension table counting 2, UCS-2 70/67 for
Cyrillic and Kazakh letters, never splitting an escape or a surrogate pair."""

from __future__ import annotations

import pytest

from mamapro.notify.sms_parts import GSM7, UCS2, SmsParts, count


def test_empty_text_is_no_part() -> None:
    assert count("") == SmsParts(GSM7, 0, 0, 160)


@pytest.mark.parametrize(
    ("length", "parts"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_latin_text_is_gsm7_160_then_153(length: int, parts: int) -> None:
    result = count("a" * length)
    assert (result.encoding, result.chars, result.parts) == (GSM7, length, parts)
    assert result.per_part == (160 if parts == 1 else 153)


def test_extension_characters_count_two() -> None:
    assert count("€").chars == 2
    assert count("{[~]}|^\\").chars == 16
    assert count("a" * 158 + "€") == SmsParts(GSM7, 160, 1, 160)
    assert count("a" * 159 + "€").parts == 2


def test_an_escape_pair_is_never_split_across_parts() -> None:
    # 152 septets then "€" (2): the pair does not fit in the first part's 153.
    text = "a" * 152 + "€" + "a" * 152
    assert count(text).chars == 306
    assert count(text).parts == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Сәлеметсіз бе", UCS2), ("қ", UCS2), ("Здравствуйте", UCS2), ("Hello!", GSM7)],
)
def test_cyrillic_and_kazakh_letters_are_ucs2(text: str, expected: str) -> None:
    assert count(text).encoding == expected


@pytest.mark.parametrize("letter", list("әғқңөұүһіӘҒҚҢӨҰҮҺІ"))
def test_every_kazakh_letter_forces_ucs2(letter: str) -> None:
    assert count("Hello " + letter).encoding == UCS2


@pytest.mark.parametrize(("length", "parts"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3)])
def test_ucs2_is_70_then_67(length: int, parts: int) -> None:
    result = count("ә" * length)
    assert (result.chars, result.parts) == (length, parts)
    assert result.per_part == (70 if parts == 1 else 67)


def test_one_kazakh_letter_makes_a_latin_text_ucs2() -> None:
    assert count("a" * 100).parts == 1
    assert count("a" * 99 + "ң").parts == 2


def test_an_emoji_is_two_code_units_and_never_split() -> None:
    assert count("🙂").chars == 2
    assert count("ә" * 69 + "🙂") == SmsParts(UCS2, 71, 2, 67)
    # 66 units then an emoji: it does not fit in 67, opens the second part.
    assert count("ә" * 66 + "🙂" + "ә" * 66).parts == 3
