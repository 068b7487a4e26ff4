"""Stored cross-site scripting: markup typed into every free-text field comes back inert on
every page that shows it, to the roles that see it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.core import audit
from mamapro.core.models import AuditEntry
from mamapro.counselling import services as counselling
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert
from mamapro.people import services as people
from mamapro.programs.models import Course, Run, Session
from mamapro.programs.services import enrollment as seats
from mamapro.programs.services import topics

pytestmark = pytest.mark.django_db

# Each payload must never appear as it was typed; its escaped form must.
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "<svg/onload=alert(3)>",
]
X = PAYLOADS[0]
Y = PAYLOADS[1]
Z = PAYLOADS[2]


@pytest.fixture
def poisoned(almaty, personas):
    """Every kind of free text a person can type, filled with markup."""
    woman = people.create_participant(
        centre=almaty,
        data={
            "given_name": X,
            "family_name": Y,
            "patronymic": Z,
            "phone": "+77015551234",
            "address": X,
            "safe_contact_note": Y,
            "alias": "",
        },
        circumstances=("domestic_violence",),
    )
    child = people.add_child(
        woman,
        data={
            "given_name": Z,
            "birth_date": dt.date(2020, 1, 1),
            "communication_notes": X,
            "allergies": Y,
            "medication": Z,
            "medical_notes": X,
        },
    )
    adult = people.add_adult(
        child, data={"name": Y, "relation": "father", "authorised": False, "note": X}
    )
    course = Course.objects.create(title=X, category="other", description=Y)
    today = timezone.localdate()
    run = Run.objects.create(
        course=course,
        centre=almaty,
        starts_on=today,
        ends_on=today + dt.timedelta(days=10),
        price="0.00",
        kids_room=True,
        speaker=Z,
    )
    now = timezone.now()
    session = Session.objects.create(
        run=run,
        centre=almaty,
        starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(hours=2),
        topic=Y,
    )
    from mamapro.centres.models import Room

    room = Room.objects.create(centre=almaty, name=Z, kind=Room.Kind.KIDS_ROOM, capacity=6)
    kids.add_shift(
        room, personas["tutor"], now - dt.timedelta(hours=1), now + dt.timedelta(hours=3)
    )
    seats.enroll(run, woman, "paid")
    kids.book(session, child)
    kids.check_in(session, child, brought_by=X)
    kids.record_incident(
        child, kind="other", what_happened=Y, action_taken=Z, parent_informed=False
    )
    Alert.objects.create(centre=almaty, kind="check_out_blocked", child=child, adult=adult, named=X)
    topics.propose_topic(almaty, title=X, details=Y)
    start = now + dt.timedelta(days=1)
    appointment = counselling.book(
        personas["psychologist"], woman, start, start + dt.timedelta(hours=1)
    )
    counselling.write_note(appointment, personas["psychologist"], X)
    audit.record(AuditEntry.Action.SYSTEM, details={"note": Y})
    return {
        "woman": woman,
        "child": child,
        "run": run,
        "session": session,
        "appointment": appointment,
    }


def _pages(p) -> list[tuple[str, str]]:
    return [
        ("coordinator", reverse("people:participant_list")),
        ("coordinator", reverse("people:participant_detail", args=[p["woman"].pk])),
        ("coordinator", reverse("people:participant_edit", args=[p["woman"].pk])),
        ("coordinator", reverse("people:child_detail", args=[p["child"].pk])),
        ("coordinator", reverse("programs:run_list")),
        ("coordinator", reverse("programs:run_detail", args=[p["run"].pk])),
        ("coordinator", reverse("programs:run_attendance", args=[p["run"].pk])),
        ("coordinator", reverse("programs:roll_call", args=[p["session"].pk])),
        ("coordinator", reverse("kidsroom:board")),
        ("coordinator", reverse("kidsroom:alerts")),
        ("coordinator", reverse("kidsroom:incidents")),
        ("coordinator", reverse("kidsroom:session_bookings", args=[p["session"].pk])),
        ("coordinator", reverse("public:staff_topics")),
        ("tutor", reverse("kidsroom:board")),
        ("psychologist", reverse("counselling:appointment", args=[p["appointment"].pk])),
        ("director", reverse("audit_log")),
        ("anonymous", reverse("public:catalogue")),
    ]


def test_typed_markup_is_inert_on_every_page(client, personas, poisoned) -> None:
    checked = 0
    for persona, url in _pages(poisoned):
        client.logout()
        if persona != "anonymous":
            client.force_login(personas[persona])
        response = client.get(url)
        assert response.status_code == 200, (persona, url)
        html = response.content.decode()
        for payload in PAYLOADS:
            assert payload not in html, (persona, url, payload)
        assert "&lt;script&gt;" in html or "&lt;svg" in html or "&quot;&gt;&lt;img" in html, (
            persona,
            url,
        )
        checked += 1
    assert checked == len(_pages(poisoned))


def test_the_api_returns_markup_as_plain_json_text(client, personas, token_for, poisoned) -> None:
    response = client.get(
        f"/api/v1/participants/{poisoned['woman'].pk}", headers=token_for(personas["coordinator"])
    )
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["given_name"] == X  # data, never rendered as HTML by the API
