"""Her rights: a full export (JSON and PDF), erasure that keeps the figures right, consents
with term and transfer flags whose withdrawal stops reminders and story use."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.core.models import AuditEntry
from mamapro.people import safe_contact, services, subject_rights
from mamapro.people.models import Child, ChildAdult, Circumstance, Consent, Participant
from mamapro.programs.models import Attendance, Enrollment
from mamapro.programs.services import enrollment as seats
from mamapro.programs.tests.attendance_world import add_sessions, mark

pytestmark = pytest.mark.django_db


@pytest.fixture
def her(child, make_run):
    """The survivor with her son, a seat with a roll call behind it, and consents."""
    survivor = child.parent
    run = make_run(starts_in=-10, days=30)
    services.update_participant(survivor, data={}, eligibility_verified=True)
    seats.enroll(run, survivor, "free", now=timezone.now() - dt.timedelta(days=12))
    (session,) = add_sessions(run, [-1])
    mark(session, {survivor: "present"})
    services.record_consent(
        survivor,
        kind="data_processing",
        version="2026-1",
        valid_until=dt.date(2027, 12, 31),
        third_party_transfer=True,
    )
    services.record_consent(survivor, kind="story", version="2026-1")
    return Participant.objects.get(pk=survivor.pk)


def test_the_export_holds_everything_about_her(client, personas, her, child) -> None:
    client.force_login(personas["coordinator"])
    response = client.get(reverse("people:participant_export", args=[her.pk]), {"format": "json"})
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert data["participant"]["iin"] == "900215450007"
    assert data["participant"]["address"] == "Алматы, мкр. 5, д. 12"
    assert "iin_digest" not in data["participant"]
    assert {c["kind"] for c in data["circumstances"]} == {
        "domestic_violence",
        "special_needs_child",
    }
    assert {c["kind"] for c in data["consents"]} == {"data_processing", "story"}
    consent = next(c for c in data["consents"] if c["kind"] == "data_processing")
    assert consent["valid_until"] == "2027-12-31"
    assert consent["third_party_transfer"] is True
    assert data["children"][0]["medication"] == "Депакин"
    assert {a["name"] for a in data["children"][0]["adults"]} == {"Әсел Қасымова", "Ерлан Қасымов"}
    assert len(data["enrollments"]) == 1
    assert [a["status"] for a in data["attendance"]] == ["present"]
    assert "kids_room_bookings" in data
    assert "applications" in data
    assert AuditEntry.objects.filter(
        action="read_sensitive", object_id=str(her.pk), details__event="data_export"
    ).exists()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext reads the PDF back")
def test_the_pdf_export_is_readable_in_her_language(client, personas, her, tmp_path) -> None:
    client.force_login(personas["coordinator"])
    response = client.get(reverse("people:participant_export", args=[her.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    path = tmp_path / "her.pdf"
    path.write_bytes(response.content)
    tool = shutil.which("pdftotext")
    assert tool is not None
    text = subprocess.run(  # noqa: S603
        [tool, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Қасымова" in text
    assert "900215450007" in text
    assert "Депакин" in text


def test_erasure_keeps_the_figures_and_nothing_that_names_her(client, personas, her, child) -> None:
    counts_before = (
        Participant.objects.count(),
        Child.objects.count(),
        Enrollment.objects.count(),
        Attendance.objects.count(),
        sorted(Circumstance.objects.values_list("kind", flat=True)),
    )
    client.force_login(personas["coordinator"])
    assert client.post(reverse("people:participant_erase", args=[her.pk])).status_code == 403
    client.force_login(personas["director"])
    page = client.post(reverse("people:participant_erase", args=[her.pk]))
    assert "Tick the box to confirm" in page.content.decode()
    assert Participant.objects.get(pk=her.pk).erased_at is None
    response = client.post(reverse("people:participant_erase", args=[her.pk]), {"confirm": "yes"})
    assert response.status_code == 302
    erased = Participant.objects.get(pk=her.pk)
    assert erased.erased_at is not None
    assert (erased.given_name, erased.family_name, erased.iin, erased.address) == (
        "—",
        "—",
        None,
        "",
    )
    assert erased.birth_date == dt.date(1990, 1, 1)
    assert erased.no_contact
    kid = Child.objects.get(pk=child.pk)
    assert (kid.given_name, kid.medication, kid.birth_date) == ("—", "", dt.date(2019, 1, 1))
    assert kid.support_needs == ["autism"]
    assert not ChildAdult.objects.filter(child=child).exists()
    assert not Consent.objects.filter(participant=her, revoked_at__isnull=True).exists()
    counts_after = (
        Participant.objects.count(),
        Child.objects.count(),
        Enrollment.objects.count(),
        Attendance.objects.count(),
        sorted(Circumstance.objects.values_list("kind", flat=True)),
    )
    assert counts_after == counts_before
    # Nothing that named her is left in any text column of her rows.
    export = json.dumps(subject_rights.export(erased), ensure_ascii=False)
    for clue in ("Әсел", "Қасымова", "900215450007", "Алматы, мкр", "Депакин", "Ерлан"):
        assert clue not in export, clue
    assert Participant.objects.filter(search_key__contains="касымова").count() == 0
    page = client.get(reverse("people:participant_detail", args=[her.pk])).content.decode()
    assert "Her data was erased" in page


def test_withdrawing_consent_stops_reminders_and_story_use(her) -> None:
    services.update_participant(her, data={"contact_channels": ["sms"]})
    her.refresh_from_db()
    assert safe_contact.decide(her, "sms").allowed
    assert services.may_use_story(her)
    for consent in Consent.objects.filter(participant=her, revoked_at__isnull=True):
        services.revoke_consent(consent)
    assert safe_contact.decide(her, "sms").reason == safe_contact.NO_CONSENT
    assert not services.may_use_story(her)


def test_a_consent_past_its_term_is_no_consent(her) -> None:
    services.update_participant(her, data={"contact_channels": ["sms"]})
    her.refresh_from_db()
    Consent.objects.filter(participant=her, kind="data_processing").update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    assert safe_contact.decide(her, "sms").reason == safe_contact.NO_CONSENT
    with pytest.raises(Exception, match="cannot be over already"):
        services.record_consent(
            her, kind="photos", version="2026-1", valid_until=dt.date(2020, 1, 1)
        )
