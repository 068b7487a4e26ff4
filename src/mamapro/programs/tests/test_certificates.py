"""The certificate PDF: her language, Cyrillic that survives, the code and where to check it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from mamapro.programs import certificates
from mamapro.programs.models import Certificate
from mamapro.programs.services import attendance
from mamapro.programs.tests.attendance_world import add_sessions, enroll_before_start, mark

pytestmark = pytest.mark.django_db

URL = "https://mamapro.example/certificates/{code}/"


@pytest.fixture
def issue(make_run, make_participant):
    """Certificates for women of the given languages, from a run that ended last week."""

    def make(*languages: str) -> list[Certificate]:
        run = make_run(starts_in=-30, days=23)
        (session,) = add_sessions(run, [-25])
        women = [
            make_participant(
                given_name="Әсел",
                family_name="Қасымова",
                latin_name="Assel Kassymova",
                language=language,
                phone=f"+770155500{i:02d}",
            )
            for i, language in enumerate(languages)
        ]
        enroll_before_start(run, women)
        mark(session, dict.fromkeys(women, "present"))
        return attendance.complete_run(run).certificates

    return make


def _info(pdf: bytes, key: str) -> str:
    """A text entry of the PDF's document information (UTF-16 with a BOM when not ASCII)."""
    found = re.search(rb"/" + key.encode() + rb" \((.*?)\) /", pdf, re.S)
    assert found, key
    raw = _unescape(found.group(1))
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


def _unescape(literal: bytes) -> bytes:
    """A PDF literal string's escapes: \\ddd octal, or a backslash before one character."""

    def one(match: re.Match[bytes]) -> bytes:
        escaped = match.group(1)
        return bytes([int(escaped, 8)]) if escaped[:1].isdigit() else escaped

    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.S)


def _text(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true needs pdftotext (poppler-utils) to read the certificate back")
        pytest.skip("pdftotext (poppler-utils) reads the PDF's text back")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(  # noqa: S603
        [tool, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    )
    return out.stdout


def test_a_pdf_in_her_language(issue) -> None:
    kk, ru, en = issue("kk", "ru", "en")
    pdfs = {}
    for certificate in (kk, ru, en):
        pdf = certificates.render_certificate(
            certificate, verify_url=URL.format(code=certificate.code)
        )
        assert pdf.startswith(b"%PDF-")
        assert b"FontFile2" in pdf, "the Unicode font is embedded"
        pdfs[certificate.language] = pdf
    for language, pdf in pdfs.items():
        with translation.override(language):
            expected = str(translation.gettext("Mama Pro Centre"))
        assert _info(pdf, "Author") == expected
        assert _info(pdf, "Subject") == attendance.format_code(
            {"kk": kk, "ru": ru, "en": en}[language].code
        )
    assert len({_info(pdf, "Author") for pdf in pdfs.values()}) == 3, "three languages"
    # English: the Latin spelling of her name, as in her passport.
    assert "Assel Kassymova" in _info(pdfs["en"], "Title")
    assert "Қасымова Әсел" in _info(pdfs["kk"], "Title")


def test_the_page_reads_back_with_name_course_code_and_address(issue, tmp_path) -> None:
    (certificate,) = issue("kk")
    url = URL.format(code=certificate.code)
    text = _text(certificates.render_certificate(certificate, verify_url=url), tmp_path)
    flat = " ".join(text.split())
    assert "Қасымова Әсел" in flat, "Kazakh letters survive"
    assert "Кәсіпкерлік негіздері" in flat
    assert attendance.format_code(certificate.code) in flat
    assert url in flat
    assert "Mama Pro Алматы" in flat


def test_name_on_the_certificate(make_participant) -> None:
    with_latin = make_participant(latin_name="Aigul Ospanova")
    without = make_participant(phone="+77015550999")
    assert certificates.certificate_name(with_latin, "en") == "Aigul Ospanova"
    assert certificates.certificate_name(with_latin, "kk") == "Оспанова Айгүл"
    assert certificates.certificate_name(without, "en") == "Оспанова Айгүл"


def test_the_fonts_ship_with_their_licence() -> None:
    from mamapro.core.pdf import FONTS as fonts

    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE.txt"):
        assert (fonts / name).is_file(), name
    assert "Bitstream" in (fonts / "LICENSE.txt").read_text()
    pyproject = (Path(certificates.__file__).resolve().parents[3] / "pyproject.toml").read_text()
    assert '"fonts/*"' in pyproject, "the fonts are package data"
