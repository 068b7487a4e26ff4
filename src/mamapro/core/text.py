"""Search keys that match the way coordinators type names in Kazakh and Russian.

SQLite's LOWER() and LIKE fold only ASCII, so "ӘЛИЯ" would not find "Әлия" there, while
PostgreSQL's would. Instead of relying on either database, each searchable row keeps a folded
key computed in Python, and queries fold the same way: results are identical on both.

Folding goes further than case: ё is written е by most people, and a phone without a Kazakh
keyboard types а for ә, к for қ and so on, so those letters fold to their Russian look-alikes.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_KAZAKH_TO_RUSSIAN = str.maketrans(
    {
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "ё": "е",
    }
)
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, Kazakh letters to Russian look-alikes, accents off, spaces collapsed, and
    invisible characters dropped: a zero-width space typed into a name at the kids' room door
    must not let it slip past the restricted adult it names."""
    text = (
        unicodedata.normalize("NFC", without_invisible(text))
        .casefold()
        .translate(_KAZAKH_TO_RUSSIAN)
    )
    # Latin transliterations: drop combining accents (Ä -> a) but keep Cyrillic letters whole.
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip()


def search_key(*parts: str | None) -> str:
    return " ".join(fold(p) for p in parts if p)


# --- Characters that hide or disguise a name -------------------------------------------------
#
# A right-to-left override (U+202E) makes "Айгүл\u202eвоне" display as another name on a
# roster, a certificate or in a spreadsheet; a zero-width space makes two "equal" names differ,
# so a duplicate slips past the eye and the search. Names are letters, marks, spaces, hyphens,
# apostrophes and dots: every format (Cf) and control (Cc) character, and the few letters and
# symbols that draw nothing, are refused — never silently dropped, so she sees what was wrong.

# Unicode categories that never belong in a name: format (bidi controls, zero-width, the BOM,
# tags), control, private use, surrogates, unassigned, and the line/paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp"})
# Invisible although not in those categories (letters or marks that draw nothing).
_INVISIBLE = frozenset(
    {
        0x034F,  # combining grapheme joiner
        0x115F,  # Hangul choseong filler
        0x1160,  # Hangul jungseong filler
        0x17B4,  # Khmer vowel inherent aq
        0x17B5,  # Khmer vowel inherent aa
        0x180B,  # Mongolian free variation selectors
        0x180C,
        0x180D,
        0x180F,
        0x2800,  # braille pattern blank
        0x3164,  # Hangul filler
        0xFFA0,  # halfwidth Hangul filler
        *range(0xFE00, 0xFE10),  # variation selectors
        *range(0xE0100, 0xE01F0),  # variation selectors supplement
    }
)


def _is_invisible(ch: str) -> bool:
    return unicodedata.category(ch) in _REFUSED_CATEGORIES or ord(ch) in _INVISIBLE


def without_invisible(value: str) -> str:
    """`value` with every invisible character dropped (for text typed to be matched, not
    stored as a name: what is stored goes through `clean_name`, which refuses instead)."""
    return "".join(ch for ch in value if ch in "\t\n\r" or not _is_invisible(ch))


def invisible_characters(value: str) -> list[str]:
    """The characters of `value` that a name must not contain, as "U+202E" codes, in order
    of first appearance (ordinary spaces, tabs and newlines are not among them: names have
    their whitespace collapsed instead)."""
    found: list[str] = []
    for ch in value:
        if ch in "\t\n\r":
            continue
        if _is_invisible(ch):
            code = f"U+{ord(ch):04X}"
            if code not in found:
                found.append(code)
    return found


def clean_name(value: str | None, field: Any = None) -> str:
    """A typed name as it is stored: NFC-normalised, whitespace collapsed to single spaces,
    and refused (ValidationError, code "invisible") if it contains a bidi control, a
    zero-width or any other invisible, format or control character.

    `field` is the field's label for the message ("given name"); use this for every person's
    name, course title or other short text that is shown to others and printed.
    """
    text = unicodedata.normalize("NFC", value or "")
    bad = invisible_characters(text)
    if bad:
        chars = ", ".join(bad)
        if field:
            label = str(field)
            message = _(
                "%(field)s contains a hidden or control character (%(chars)s) that can "
                "disguise a name; please type it again without it."
            ) % {"field": label[:1].upper() + label[1:], "chars": chars}
        else:
            message = _(
                "This text contains a hidden or control character (%(chars)s) that can "
                "disguise a name; please type it again without it."
            ) % {"chars": chars}
        raise ValidationError(message, code="invisible")
    return " ".join(text.split())


def no_invisible_characters(value: str) -> None:
    """The same check as a Django validator (for a form or model field's `validators=`):
    refuses, does not normalise."""
    clean_name(value)
