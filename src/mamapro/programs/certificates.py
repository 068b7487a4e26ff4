"""The certificate as a PDF: one landscape A4 page in the woman's language.

Kazakh and Russian need Cyrillic (Kazakh adds ә, ғ, қ, ң, ө, ұ, ү, һ, і), which reportlab's
built-in fonts lack, so DejaVu Sans is vendored next to this module (fonts/, with its licence).
The page carries a verification code and a QR code of the public page that confirms it.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics import renderPDF  # type: ignore[import-untyped]
from reportlab.graphics.barcode.qr import QrCodeWidget  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]
from reportlab.lib.colors import Color, HexColor  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
from reportlab.lib.utils import simpleSplit  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from mamapro.core.pdf import BOLD, REGULAR, register_fonts
from mamapro.people.models import Participant
from mamapro.programs.models import Certificate
from mamapro.programs.services.attendance import format_code

BRAND = HexColor("#7b2d8e")
BRAND_SOFT = HexColor("#e9d8ee")
INK = HexColor("#1f2430")
MUTED = HexColor("#5b6272")
PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
CENTRE_X = PAGE_WIDTH / 2


def _register_fonts() -> None:
    register_fonts()


def certificate_name(participant: Participant, language: str) -> str:
    """Her name as the certificate shows it: the Latin spelling of her passport in English."""
    if language == "en" and participant.latin_name:
        return participant.latin_name
    return participant.full_name


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> float:
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _centred(pdf: Canvas, y: float, text: str, font: str, size: float, color: Color) -> None:
    pdf.setFont(font, size)
    pdf.setFillColor(color)
    pdf.drawCentredString(CENTRE_X, y, text)


def _spaced(text: str) -> str:
    """Letter-spaced small capitals for the header line."""
    return " ".join(text.upper())


def _date(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _frame(pdf: Canvas) -> None:
    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(3)
    pdf.rect(18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36)
    pdf.setLineWidth(0.8)
    pdf.rect(27, 27, PAGE_WIDTH - 54, PAGE_HEIGHT - 54)
    # A band of colour along the top edge inside the frame.
    pdf.setFillColor(BRAND_SOFT)
    pdf.rect(27.4, PAGE_HEIGHT - 62, PAGE_WIDTH - 54.8, 34.6, stroke=0, fill=1)


def _emblem(pdf: Canvas, y: float) -> None:
    pdf.setFillColor(BRAND)
    pdf.circle(CENTRE_X, y, 22, stroke=0, fill=1)
    pdf.setStrokeColor(HexColor("#ffffff"))
    pdf.setLineWidth(1)
    pdf.circle(CENTRE_X, y, 18, stroke=1, fill=0)
    pdf.setFillColor(HexColor("#ffffff"))
    pdf.setFont(BOLD, 14)
    pdf.drawCentredString(CENTRE_X, y - 5, "MP")


def _signature(pdf: Canvas, x: float, y: float, caption: str) -> None:
    pdf.setStrokeColor(MUTED)
    pdf.setLineWidth(0.6)
    pdf.line(x, y, x + 170, y)
    pdf.setFillColor(MUTED)
    pdf.setFont(REGULAR, 9)
    for i, line in enumerate(simpleSplit(caption, REGULAR, 9, 170)[:2]):
        pdf.drawCentredString(x + 85, y - 13 - i * 11, line)


def _verification(pdf: Canvas, code: str, verify_url: str) -> None:
    size = 78.0
    right = PAGE_WIDTH - 60
    qr = QrCodeWidget(verify_url, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, pdf, right - size, 52)
    text_right = right - size - 10
    pdf.setFillColor(MUTED)
    pdf.setFont(REGULAR, 8.5)
    pdf.drawRightString(text_right, 112, _("Verification code"))
    pdf.setFillColor(INK)
    pdf.setFont(BOLD, 15)
    pdf.drawRightString(text_right, 94, format_code(code))
    pdf.setFillColor(MUTED)
    pdf.setFont(REGULAR, 8.5)
    pdf.drawRightString(text_right, 76, _("Check it at"))
    url_size = _fit(verify_url, REGULAR, 8.5, 250, 6)
    pdf.setFont(REGULAR, url_size)
    pdf.drawRightString(text_right, 64, verify_url)


def render_certificate(certificate: Certificate, *, verify_url: str) -> bytes:
    """The PDF, every word in the language the certificate was issued in."""
    _register_fonts()
    enrollment = certificate.enrollment
    run = enrollment.run
    participant = enrollment.participant
    buffer = BytesIO()
    with translation.override(certificate.language):
        name = certificate_name(participant, certificate.language)
        title = _("Certificate")
        pdf = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
        pdf.setTitle(f"{title} — {name} — {run.display_title}")
        pdf.setAuthor(str(_("Mama Pro Centre")))
        pdf.setSubject(format_code(certificate.code))
        pdf.setCreator("Mama Pro Centre")

        _frame(pdf)
        _centred(pdf, PAGE_HEIGHT - 50, _spaced(str(_("Mama Pro Centre"))), BOLD, 10, BRAND)
        _emblem(pdf, PAGE_HEIGHT - 108)
        _centred(pdf, 412, title.upper(), BOLD, 40, INK)
        _centred(pdf, 388, _("of completion"), REGULAR, 15, MUTED)
        _centred(pdf, 350, _("This is to certify that"), REGULAR, 13, INK)

        size = _fit(name, BOLD, 30, PAGE_WIDTH - 160, 16)
        _centred(pdf, 310, name, BOLD, size, BRAND)
        pdf.setStrokeColor(BRAND_SOFT)
        pdf.setLineWidth(1)
        pdf.line(CENTRE_X - 200, 298, CENTRE_X + 200, 298)

        _centred(pdf, 272, _("has completed the course"), REGULAR, 13, INK)
        # Translators: the course title on the certificate, in your language's quotation marks.
        course = pgettext("certificate", "“%(course)s”") % {"course": run.display_title}
        size = _fit(course, BOLD, 20, (PAGE_WIDTH - 160) * 2, 12)
        lines = simpleSplit(course, BOLD, size, PAGE_WIDTH - 160)[:2]
        y = 242.0
        for line in lines:
            _centred(pdf, y, line, BOLD, size, INK)
            y -= size + 6
        place = f"{run.centre.name}, {run.centre.city}"
        period = f"{_date(run.starts_on)} – {_date(run.ends_on)}"
        _centred(pdf, y - 6, f"{period} · {place}", REGULAR, 11, MUTED)

        _signature(pdf, 70, 96, _("Project coordinator"))
        _signature(pdf, 270, 96, _("Head of the foundation"))
        pdf.setFillColor(MUTED)
        pdf.setFont(REGULAR, 9)
        issued = _date(certificate.issued_at.date())
        pdf.drawString(70, 52, _("Issued on %(date)s") % {"date": issued})
        _verification(pdf, certificate.code, verify_url)
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()
