"""Compile the gettext catalogues (.po → .mo) in pure Python.

Django's compilemessages needs GNU gettext, which a fresh machine with only python3 lacks;
Babel reads and writes the same formats. Compiled files are build output (not committed) and
are refreshed whenever a .po is newer than its .mo.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogue_paths(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def compile_stale(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compile each .po whose .mo is missing or older; return the .po files compiled."""
    compiled = []
    for po_path in catalogue_paths(locale_dir):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        tmp.replace(mo_path)
        compiled.append(po_path)
    return compiled
