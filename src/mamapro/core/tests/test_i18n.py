"""Kazakh, Russian and English catalogues are complete, valid and in step with the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from mamapro.core.catalogues import LOCALE_DIR, catalogue_paths, compile_stale

LANGUAGES = ["kk", "ru", "en"]
SRC = LOCALE_DIR.parent


def _catalog(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").open("rb") as fh:
        return read_po(fh, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_and_not_fuzzy(language: str) -> None:
    catalog = _catalog(language)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, "\n".join(problems[:30])
    assert len(catalog) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    catalog = _catalog(language)
    errors = [f"{m.id!r}: {e}" for m, errs in catalog.check() for e in errs]
    assert not errors, "\n".join(errors[:30])


def test_catalogues_compile_with_python_alone(tmp_path: Path) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    compiled = compile_stale(copy)
    assert len(compiled) == len(catalogue_paths(copy)) == 3
    assert compile_stale(copy) == [], "up-to-date catalogues are not recompiled"


def test_every_source_string_is_in_the_catalogues(tmp_path: Path) -> None:
    """makemessages over a copy of the code finds no msgid the catalogues lack."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext (xgettext) is required under CI to check the catalogues")
        pytest.skip("GNU gettext (xgettext) is not installed; install the gettext package")
    tree = tmp_path / "mamapro"
    shutil.copytree(
        SRC,
        tree,
        ignore=shutil.ignore_patterns("*.mo", "__pycache__", "tests", "migrations", "static"),
    )
    (tmp_path / "msgcheck_settings.py").write_text(
        f"from mamapro.settings import *  # noqa\nLOCALE_PATHS = [{str(tree / 'locale')!r}]\n"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="msgcheck_settings", PYTHONPATH=str(tmp_path))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "en",
            "--no-location",
            "--no-obsolete",
        ],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
    )
    with (tree / "locale" / "en" / "LC_MESSAGES" / "django.po").open("rb") as fh:
        fresh = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    shipped = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog("en") if m.id}
    missing = sorted(fresh - shipped)
    assert not missing, "run makemessages and translate:\n" + "\n".join(missing[:30])
