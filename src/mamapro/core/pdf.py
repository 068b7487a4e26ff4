"""Fonts for the PDFs every domain makes (certificates, a woman's data export).

ReportLab's built-in fonts lack Kazakh letters (ә ғ қ ң ө ұ ү һ і), so DejaVu Sans is vendored
in fonts/ with its licence.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR = "MamaPro-Sans"
BOLD = "MamaPro-Sans-Bold"


def register_fonts() -> tuple[str, str]:
    """The regular and bold font names, registered with ReportLab once."""
    registered = pdfmetrics.getRegisteredFontNames()
    if REGULAR not in registered:
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    if BOLD not in registered:
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    return REGULAR, BOLD
