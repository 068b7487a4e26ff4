"""Names with hidden characters (issue 9 finding 15): one check, core/text.clean_name."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from mamapro.core.text import clean_name, invisible_characters, no_invisible_characters


@pytest.mark.parametrize(
    "name",
    [
        "Әсел",
        "Қасымова-Жұмабаева",
        "Ғалымжан Нұрлан-ұлы",
        "Ольга Ёлкина",
        "O'Brien",
        "Д’Артаньян",
        "Mary-Jane St. John",
        "Zhanar Äbdıkerımova",
        "Бекмұхамбетқызы",
        "Ümıt Şähmet",
    ],
)
def test_real_names_pass_unchanged(name: str) -> None:
    assert invisible_characters(name) == []
    assert clean_name(name) == name
    no_invisible_characters(name)


@pytest.mark.parametrize(
    ("char", "why"),
    [
        ("\u202e", "right-to-left override"),
        ("\u202a", "left-to-right embedding"),
        ("\u202b", "right-to-left embedding"),
        ("\u202c", "pop directional formatting"),
        ("\u202d", "left-to-right override"),
        ("\u2066", "left-to-right isolate"),
        ("\u2067", "right-to-left isolate"),
        ("\u2068", "first strong isolate"),
        ("\u2069", "pop directional isolate"),
        ("\u200e", "left-to-right mark"),
        ("\u200f", "right-to-left mark"),
        ("\u061c", "Arabic letter mark"),
        ("\u200b", "zero-width space"),
        ("\u200c", "zero-width non-joiner"),
        ("\u200d", "zero-width joiner"),
        ("\u2060", "word joiner"),
        ("\ufeff", "byte order mark"),
        ("\u00ad", "soft hyphen (Cf)"),
        ("\U000e0041", "tag letter A (Cf)"),
        ("\x00", "NUL (Cc)"),
        ("\x1b", "escape (Cc)"),
        ("\x7f", "delete (Cc)"),
        ("\x85", "next line (Cc)"),
        ("\x0b", "vertical tab (Cc)"),
        ("\u2028", "line separator"),
        ("\ue000", "private use"),
        ("\u3164", "Hangul filler, an invisible letter"),
        ("\ufe0f", "variation selector"),
        ("\u2800", "braille blank"),
    ],
)
def test_hidden_and_control_characters_are_refused(char: str, why: str) -> None:
    name = f"Айгүл{char}Оспанова"
    code = f"U+{ord(char):04X}"
    assert invisible_characters(name) == [code], why
    with pytest.raises(ValidationError, match=re.escape(code)) as caught:
        clean_name(name, "family name")
    assert caught.value.code == "invisible"
    assert caught.value.messages[0].startswith("Family name contains a hidden")
    with pytest.raises(ValidationError):
        no_invisible_characters(name)


def test_the_spoof_from_the_finding_is_refused() -> None:
    # Displays as "Айгүл Оспанова" with the surname reversed: a roster entry that lies.
    with pytest.raises(ValidationError, match="U\\+202E"):
        clean_name("Айгүл \u202eавонапсО")


def test_each_offending_character_is_named_once() -> None:
    assert invisible_characters("\u200bА\u200bй\u202eгүл") == ["U+200B", "U+202E"]


def test_names_are_nfc_normalised_and_spaces_collapsed() -> None:
    # "й" typed as и + combining breve, "Ä" as A + combining diaeresis: stored as the one
    # precomposed letter, so search keys and duplicate checks agree.
    typed = "  Маи\u0306я   A\u0308bdikerimova\u00a0 "
    assert clean_name(typed) == "Ма\u0439я \u00c4bdikerimova"
    assert len(clean_name(typed)) == len("Майя Äbdikerimova")
    assert clean_name("Әсел\tҚасымова\n") == "Әсел Қасымова"
    assert clean_name(None) == ""


def test_message_without_a_field_label() -> None:
    with pytest.raises(ValidationError) as caught:
        no_invisible_characters("a\u200bb")
    assert caught.value.messages[0].startswith("This text contains a hidden")
