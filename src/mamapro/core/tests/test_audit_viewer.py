"""The director's audit viewer: filters, keyset pages, CSV export, and reading it is logged."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from mamapro.core import audit
from mamapro.core.models import AuditEntry
from mamapro.people import services

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_filter_by_person_finds_her_and_her_childs_records(client, personas, child) -> None:
    survivor = child.parent
    other = services.create_participant(
        centre=survivor.centre,
        data={"given_name": "Айгүл", "family_name": "Оспанова", "phone": "+77015559999"},
    )
    client.force_login(personas["director"])
    page = client.get(reverse("audit_log"), {"person": "қасымова"}).content.decode()
    assert f"people.participant #{survivor.pk}" in page
    assert f"people.child #{child.pk}" in page
    assert f"people.participant #{other.pk}" not in page
    page = client.get(reverse("audit_log"), {"person": "Nobody Atall"}).content.decode()
    assert "No participant matches this name or phone." in page


def test_filter_by_staff_action_and_dates(client, personas, survivor) -> None:
    with audit.acting_as(personas["coordinator"], via="web"):
        services.update_participant(survivor, data={"given_name": "Әсем"})
    client.force_login(personas["director"])
    response = client.get(reverse("audit_export"), {"staff": "coordinator", "action": "update"})
    rows = _csv(response)
    assert rows[0][:4] == ["Number", "When", "Who", "Action"]
    assert len(rows) == 2
    assert rows[1][2:6] == ["coordinator", "update", "people.participant", str(survivor.pk)]
    response = client.get(
        reverse("audit_log"), {"date_from": "2026-12-05", "date_to": "2026-12-01"}
    )
    assert "The end date is before the start date." in response.content.decode()


def test_pages_go_back_by_sequence_and_reading_is_logged(client, personas) -> None:
    for i in range(120):
        audit.record(AuditEntry.Action.SYSTEM, details={"n": i})
    client.force_login(personas["director"])
    first = client.get(reverse("audit_log"), {"action": "system"})
    seqs = [e.seq for e in first.context["entries"]]
    assert len(seqs) == 50
    assert seqs == sorted(seqs, reverse=True)
    second = client.get(reverse("audit_log"), {"action": "system", "before": seqs[-1]})
    assert second.context["entries"][0].seq == seqs[-1] - 1
    viewed = AuditEntry.objects.filter(actor_name="director", action="read_sensitive")
    assert viewed.count() == 2
    assert {e.details["audit_log"] for e in viewed} == {"viewed"}


def test_export_cells_cannot_become_spreadsheet_formulas(client, personas) -> None:
    audit.record(AuditEntry.Action.SYSTEM, details={"x": '=HYPERLINK("http://evil")'})
    client.force_login(personas["director"])
    rows = _csv(client.get(reverse("audit_export"), {"action": "system"}))
    assert rows[1][8].startswith("'x=") or rows[1][8].startswith("x=")
    assert not any(cell.startswith("=") for row in rows for cell in row)
