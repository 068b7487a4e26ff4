"""Every refusal on a people path leaves the database as it was: each test re-reads the rows
(and the audit log) after the refused request (issue 9, finding 22)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mamapro.core.models import AuditEntry
from mamapro.people import services
from mamapro.people.models import Child, ChildAdult, Consent, Participant

pytestmark = pytest.mark.django_db


def _snapshot() -> Any:
    """Everything a people write could touch, read back from the database."""
    return (
        sorted(
            Participant.objects.values_list(
                "pk", "given_name", "family_name", "phone", "status", "alias", "address_hidden"
            )
        ),
        sorted((p.pk, p.iin, p.address, p.safe_contact_note) for p in Participant.objects.all()),
        sorted(Child.objects.values_list("pk", "given_name", "family_name", "diet")),
        sorted((a.pk, a.name, a.authorised, a.note) for a in ChildAdult.objects.all()),
        sorted(Consent.objects.values_list("pk", "kind", "revoked_at")),
        AuditEntry.objects.exclude(action="read_sensitive").count(),
    )


@pytest.fixture
def world(child) -> Child:
    services.record_consent(child.parent, kind="photos", version="2026-1")
    return child


def _api(client: Client, token_for, user, method: str, path: str, body: Any = None) -> Any:
    return client.generic(
        method,
        "/api/v1" + path,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers=token_for(user),
    )


@pytest.mark.parametrize("persona", ["trainer", "tutor", "manager", "outsider"])
def test_refused_api_writes_change_nothing(
    client, token_for, personas, world, in_their_work, persona
) -> None:
    user = personas[persona]
    her, adult = world.parent, world.adults.get(authorised=False)
    before = _snapshot()
    for method, path, body in (
        ("PATCH", f"/participants/{her.pk}", {"family_name": "Жаңа", "address_hidden": True}),
        ("PATCH", f"/children/{world.pk}", {"diet": ["halal"]}),
        ("POST", f"/children/{world.pk}/adults", {"name": "Бөтен", "relation": "uncle"}),
        ("PATCH", f"/adults/{adult.pk}", {"authorised": True}),
        ("DELETE", f"/adults/{adult.pk}", None),
        ("POST", "/children", {"parent": her.pk, "given_name": "Х", "birth_date": "2020-01-01"}),
    ):
        response = _api(client, token_for, user, method, path, body)
        assert response.status_code in {403, 404, 422}, (persona, method, path)
    assert _snapshot() == before


@pytest.mark.parametrize("persona", ["trainer", "tutor", "manager", "outsider"])
def test_refused_form_posts_change_nothing(client, personas, world, in_their_work, persona) -> None:
    client.force_login(personas[persona])
    her, adult = world.parent, world.adults.get(authorised=False)
    consent = Consent.objects.get(participant=her)
    before = _snapshot()
    for name, pk, data in (
        ("people:participant_edit", her.pk, {"given_name": "Жаңа", "family_name": "Аты"}),
        ("people:consent_create", her.pk, {"kind": "story", "version": "1"}),
        ("people:consent_revoke", consent.pk, {}),
        ("people:child_create", her.pk, {"given_name": "Х", "birth_date": "2020-01-01"}),
        ("people:child_edit", world.pk, {"given_name": "Жаңа", "birth_date": "2020-01-01"}),
        ("people:adult_create", world.pk, {"name": "Бөтен", "relation": "uncle"}),
        ("people:adult_edit", adult.pk, {"name": "Бөтен", "relation": "uncle"}),
        ("people:adult_delete", adult.pk, {}),
        ("people:child_photo_upload", world.pk, {"remove": "1"}),
        ("people:participant_erase", her.pk, {"confirm": "yes"}),
    ):
        response = client.post(reverse(name, args=[pk]), data)
        assert response.status_code in {403, 404}, (persona, name)
    assert _snapshot() == before


def test_invalid_edits_by_the_care_team_change_nothing(client, token_for, personas, world) -> None:
    her = world.parent
    client.force_login(personas["coordinator"])
    before = _snapshot()
    page = client.post(
        reverse("people:participant_edit", args=[her.pk]),
        {"given_name": "Жаңа", "family_name": "Аты", "phone": "12", "language": "kk"},
    )
    assert page.status_code == 200
    api = _api(
        client,
        token_for,
        personas["coordinator"],
        "PATCH",
        f"/participants/{her.pk}",
        {"given_name": "Жаңа", "iin": "900215450008"},
    )
    assert api.status_code == 422
    assert api.json()["errors"][0]["field"] == "iin"
    erase = client.post(reverse("people:participant_erase", args=[her.pk]), {})
    assert erase.status_code in {200, 403}
    assert _snapshot() == before
