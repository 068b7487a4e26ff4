"""A woman's rights over her data: everything the centre holds about her (JSON and PDF), and
erasure by pseudonymisation that keeps aggregate figures right.

`people` knows its own records; the apps above register what they hold about her in their
AppConfig.ready (`register`): an exporter (her → sections of JSON-able data) and an eraser
(her → strip what identifies her, keep what is counted).

Erasure keeps: that a woman of this centre, region, birth year, circumstance kinds and status
took these courses, attended these sessions, paid these fees, and brought children of these
birth years, support needs and diets — so every report still adds up. It removes: names,
phone, e-mail, IIN, address, safe-contact details, notes, the adults around her children,
photos, free text about her or them. The consent records stay (the law asks for them), each
revoked. Nothing can undo it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mamapro.core import audit
from mamapro.core.models import AuditEntry, User
from mamapro.core.pdf import register_fonts
from mamapro.people.models import Child, ChildAdult, Circumstance, Consent, Participant

Exporter = Callable[[Participant], dict[str, Any]]
Eraser = Callable[[Participant], None]
_EXPORTERS: list[Exporter] = []
_ERASERS: list[Eraser] = []
ERASED_NAME = "—"


def register(*, exporter: Exporter | None = None, eraser: Eraser | None = None) -> None:
    if exporter is not None and exporter not in _EXPORTERS:
        _EXPORTERS.append(exporter)
    if eraser is not None and eraser not in _ERASERS:
        _ERASERS.append(eraser)


def plain(value: Any) -> Any:
    """JSON-able: dates as ISO text, everything else as it is or as text."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def row(obj: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every stored field of `obj` (decrypted), foreign keys as ids."""
    out = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        out[field.attname] = plain(getattr(obj, field.attname))
    return out


PARTICIPANT_INTERNAL = ("search_key", "roster_key", "iin_digest")


def export(participant: Participant, *, include_address: bool = False) -> dict[str, Any]:
    """Everything about her. A hidden address is left out (the file is handed over, printed,
    kept on a phone: it may be found by the person she hides from) unless `include_address`
    (a director's explicit choice, audited)."""
    participant = Participant.objects.get(pk=participant.pk)
    children = list(Child.objects.filter(parent=participant).order_by("id"))
    her = row(participant, PARTICIPANT_INTERNAL)
    if participant.address_hidden and not include_address:
        del her["address"]
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "participant": her,
        "circumstances": [row(c) for c in Circumstance.objects.filter(participant=participant)],
        "consents": [row(c) for c in Consent.objects.filter(participant=participant)],
        "children": [
            {
                **row(child, ("photo",)),
                "has_photo": bool(child.photo),
                "adults": [row(a) for a in ChildAdult.objects.filter(child=child).order_by("id")],
            }
            for child in children
        ],
    }
    for exporter in _EXPORTERS:
        data.update(exporter(participant))
    return data


def export_json(
    participant: Participant, *, actor: User | None = None, include_address: bool = False
) -> bytes:
    data = export(participant, include_address=include_address)
    _audit_export(participant, "json", actor, include_address)
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def export_pdf(
    participant: Participant, *, actor: User | None = None, include_address: bool = False
) -> bytes:
    """The same content as the JSON, readable: a heading per section, a line per field."""
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.platypus import (  # type: ignore[import-untyped]
        Paragraph,
        SimpleDocTemplate,
        Spacer,
    )

    font, bold = register_fonts()
    data = export(participant, include_address=include_address)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    head = ParagraphStyle("head", fontName=bold, fontSize=12, leading=16, spaceBefore=8)
    title = ParagraphStyle("title", fontName=bold, fontSize=16, leading=20)
    out = io.BytesIO()
    with translation.override(participant.language):
        story: list[Any] = [
            Paragraph(_("Everything Mama Pro Centre holds about you"), title),
            Paragraph(_("Prepared on %(date)s.") % {"date": data["exported_at"][:10]}, body),
            Spacer(1, 4 * mm),
        ]
        for section, content in data.items():
            if section == "exported_at":
                continue
            story.append(Paragraph(_escape(section.replace("_", " ").capitalize()), head))
            for line in _lines(content):
                story.append(Paragraph(_escape(line), body))
    SimpleDocTemplate(out, pagesize=A4, title="Mama Pro Centre").build(story)
    _audit_export(participant, "pdf", actor, include_address)
    return out.getvalue()


def _lines(content: Any, indent: str = "") -> list[str]:
    if isinstance(content, dict):
        lines = []
        for key, value in content.items():
            if isinstance(value, dict | list) and value:
                lines.append(f"{indent}{key}:")
                lines += _lines(value, indent + "    ")
            else:
                lines.append(f"{indent}{key}: {'' if value is None else value}")
        return lines
    if isinstance(content, list):
        lines = []
        for i, item in enumerate(content, 1):
            lines.append(f"{indent}#{i}")
            lines += _lines(item, indent + "    ")
        return lines or [f"{indent}—"]
    return [f"{indent}{content}"]


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("    ", "&nbsp;" * 4)
    )


def _audit_export(
    participant: Participant, form: str, actor: User | None, include_address: bool
) -> None:
    details: dict[str, Any] = {"event": "data_export", "format": form}
    if participant.address_hidden:
        details["hidden_address"] = "included" if include_address else "left out"
    audit.record(
        AuditEntry.Action.READ_SENSITIVE,
        participant,
        fields=["everything"],
        details=details,
        actor=actor,
    )


# --- Erasure --------------------------------------------------------------------------------


def _deleter(storage: Any, name: str) -> Callable[[], None]:
    return lambda: storage.delete(name)


def _year_start(day: dt.date | None) -> dt.date | None:
    return day.replace(month=1, day=1) if day else None


@transaction.atomic
def erase(participant: Participant, *, actor: User | None = None) -> Participant:
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.erased_at is not None:
        return participant
    now = timezone.now()
    pk = participant.pk
    Participant.objects.filter(pk=pk).update(
        given_name=ERASED_NAME,
        family_name=ERASED_NAME,
        patronymic="",
        latin_name="",
        alias="",
        # Unique per centre and never a real number (+7 000…): she cannot be reached or found.
        phone=f"+7000{pk:07d}"[:12],
        email="",
        iin=None,
        iin_digest=None,
        birth_date=_year_start(participant.birth_date),
        address="",
        address_hidden=False,
        contact_channels=[],
        safe_hours_from=None,
        safe_hours_to=None,
        do_not_call=True,
        no_contact=True,
        discreet=False,
        safe_contact_note="",
        search_key=f" {ERASED_NAME} {pk}",
        roster_key=f" {ERASED_NAME}",
        erased_at=now,
    )
    Circumstance.objects.filter(participant_id=pk).update(note="")
    Consent.objects.filter(participant_id=pk, revoked_at__isnull=True).update(revoked_at=now)
    for child in Child.objects.filter(parent_id=pk):
        if child.photo:
            transaction.on_commit(_deleter(child.photo.storage, child.photo.name))
        Child.objects.filter(pk=child.pk).update(
            given_name=ERASED_NAME,
            family_name="",
            birth_date=_year_start(child.birth_date),
            communication_notes="",
            allergies="",
            medication="",
            medical_notes="",
            photo="",
        )
    # The apps above first: the kids' room forgets who collected her children before the
    # adults themselves go.
    for eraser in _ERASERS:
        eraser(participant)
    ChildAdult.objects.filter(child__parent_id=pk).delete()
    audit.record(
        AuditEntry.Action.UPDATE,
        participant,
        fields=["everything"],
        details={"event": "erased"},
        actor=actor,
    )
    return Participant.objects.get(pk=pk)
