"""How many SMS parts a text takes, and in which encoding (GSM 03.38 / 3GPP TS 23.038).

A text made only of the GSM-7 default alphabet goes as 7-bit septets: 160 in one part, 153 in
each part of a longer (concatenated) message, the other 7 carrying the part header; the
extension table's characters (€ [ ] { } ~ ^ | \\ and form feed) take an escape septet too,
so they count 2 and are never split across two parts. Any other character (Cyrillic, the
Kazakh letters ә ғ қ ң ө ұ ү һ і, emoji) sends the whole message as UCS-2: 70 UTF-16 code units
in one part, 67 in each part of a longer one, and a surrogate pair (an emoji) is never split.
The template editor shows this, because every part is billed.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The default alphabet (without ESC, which a text cannot carry itself).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SmsParts:
    encoding: str  # "GSM-7" or "UCS-2"
    # Length in the encoding's units: septets for GSM-7 (an extension character is 2), UTF-16
    # code units for UCS-2 (an emoji is 2).
    chars: int
    parts: int  # 0 for an empty text
    # Units one part holds at this length: 160/70 for a single part, 153/67 when concatenated.
    per_part: int


def _units(text: str) -> tuple[str, list[int]]:
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text):
        return GSM7, [2 if c in _GSM_EXTENSION else 1 for c in text]
    return UCS2, [2 if ord(c) > 0xFFFF else 1 for c in text]


def count(text: str) -> SmsParts:
    encoding, units = _units(text)
    single, multi = _LIMITS[encoding]
    total = sum(units)
    if total == 0:
        return SmsParts(encoding, 0, 0, single)
    if total <= single:
        return SmsParts(encoding, total, 1, single)
    # Fill parts one character at a time: a 2-unit character that does not fit opens a new
    # part (phones and operators never split an escape pair or a surrogate pair).
    parts, used = 1, 0
    for size in units:
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return SmsParts(encoding, total, parts, multi)
