"""'Keep address hidden' holds on every path (issue 9, finding 10): the edit form neither shows
nor sends it back (a coordinator may replace or delete it, write-only), her JSON and PDF export
leave it out unless a director includes it, and the audit entry for opening the edit form
lists `address` exactly when the form shows it."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from django.urls import reverse

from mamapro.core.models import AuditEntry
from mamapro.people import services
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db

ADDRESS = "мкр. 5, д. 12"


@pytest.fixture
def hidden(survivor) -> Participant:
    return services.update_participant(survivor, data={"address_hidden": True})


def _edit_form_post(p: Participant, **changes: str) -> dict[str, Any]:
    data = {
        "given_name": p.given_name,
        "family_name": p.family_name,
        "phone": p.phone,
        "language": p.language,
        "status": p.status,
        "iin": p.iin or "",
        "address_hidden": "on",
        "circumstances": ["domestic_violence"],
        **changes,
    }
    return data


def _last_edit_form_read() -> AuditEntry:
    return AuditEntry.objects.filter(action="read_sensitive").latest("id")


def test_the_edit_form_does_not_show_a_hidden_address(client, personas, hidden) -> None:
    client.force_login(personas["coordinator"])
    html = client.get(reverse("people:participant_edit", args=[hidden.pk])).content.decode()
    assert ADDRESS not in html
    assert 'name="address"' not in html
    assert 'name="new_address"' in html
    entry = _last_edit_form_read()
    assert "address" not in entry.fields
    assert "iin" in entry.fields


def test_the_edit_form_audit_lists_the_address_when_it_shows_it(client, personas, survivor) -> None:
    client.force_login(personas["coordinator"])
    html = client.get(reverse("people:participant_edit", args=[survivor.pk])).content.decode()
    assert ADDRESS in html
    assert "address" in _last_edit_form_read().fields


def test_an_empty_new_address_keeps_the_hidden_one(client, personas, hidden) -> None:
    client.force_login(personas["coordinator"])
    response = client.post(
        reverse("people:participant_edit", args=[hidden.pk]),
        _edit_form_post(hidden, status="resident"),
    )
    assert response.status_code == 302
    hidden.refresh_from_db()
    assert hidden.status == "resident"
    assert ADDRESS in hidden.address
    assert hidden.address_hidden


def test_a_new_address_replaces_the_hidden_one_and_is_never_shown(client, personas, hidden) -> None:
    client.force_login(personas["coordinator"])
    url = reverse("people:participant_edit", args=[hidden.pk])
    response = client.post(url, _edit_form_post(hidden, new_address="Алматы, ул. Новая 1"))
    assert response.status_code == 302
    hidden.refresh_from_db()
    assert hidden.address == "Алматы, ул. Новая 1"
    assert "ул. Новая" not in client.get(url).content.decode()
    detail = client.get(reverse("people:participant_detail", args=[hidden.pk])).content.decode()
    assert "ул. Новая" not in detail


def test_the_hidden_address_can_be_deleted(client, personas, hidden) -> None:
    client.force_login(personas["coordinator"])
    url = reverse("people:participant_edit", args=[hidden.pk])
    assert client.post(url, _edit_form_post(hidden, delete_address="on")).status_code == 302
    hidden.refresh_from_db()
    assert hidden.address == ""


def test_a_new_address_and_delete_together_are_refused_naming_the_field(
    client, personas, hidden
) -> None:
    client.force_login(personas["coordinator"])
    url = reverse("people:participant_edit", args=[hidden.pk])
    response = client.post(url, _edit_form_post(hidden, new_address="X 1", delete_address="on"))
    assert response.status_code == 200
    assert "Either type a new address or delete it" in response.content.decode()
    hidden.refresh_from_db()
    assert ADDRESS in hidden.address, "nothing was written"


def test_her_json_export_leaves_a_hidden_address_out(client, personas, hidden) -> None:
    client.force_login(personas["coordinator"])
    url = reverse("people:participant_export", args=[hidden.pk])
    # A coordinator asking to include it is not a director: left out all the same.
    body = client.get(url, {"format": "json", "address": "include"}).content.decode()
    assert ADDRESS not in body
    assert "address" not in json.loads(body)["participant"]
    entry = AuditEntry.objects.filter(details__event="data_export").latest("id")
    assert entry.details["hidden_address"] == "left out"


def test_a_director_may_include_a_hidden_address_explicitly(client, personas, hidden) -> None:
    client.force_login(personas["director"])
    url = reverse("people:participant_export", args=[hidden.pk])
    assert ADDRESS not in client.get(url, {"format": "json"}).content.decode()
    body = client.get(url, {"format": "json", "address": "include"}).content.decode()
    assert ADDRESS in json.loads(body)["participant"]["address"]
    entry = AuditEntry.objects.filter(details__event="data_export").latest("id")
    assert entry.details["hidden_address"] == "included"


def test_an_address_not_hidden_is_in_her_export(client, personas, survivor) -> None:
    client.force_login(personas["coordinator"])
    url = reverse("people:participant_export", args=[survivor.pk])
    body = client.get(url, {"format": "json"}).content.decode()
    assert ADDRESS in json.loads(body)["participant"]["address"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext reads the PDF back")
def test_her_pdf_export_leaves_a_hidden_address_out(client, personas, hidden, tmp_path) -> None:
    client.force_login(personas["coordinator"])
    response = client.get(reverse("people:participant_export", args=[hidden.pk]))
    path = tmp_path / "her.pdf"
    path.write_bytes(response.content)
    tool = shutil.which("pdftotext")
    assert tool is not None
    text = subprocess.run(  # noqa: S603
        [tool, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "900215450007" in text, "the PDF is readable (her IIN is in it)"
    assert "мкр. 5" not in text
