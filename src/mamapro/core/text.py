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
    """Lower-case, Kazakh letters to Russian look-alikes, accents off, spaces collapsed."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_KAZAKH_TO_RUSSIAN)
    # Latin transliterations: drop combining accents (Ä -> a) but keep Cyrillic letters whole.
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip()


def search_key(*parts: str | None) -> str:
    return " ".join(fold(p) for p in parts if p)
