"""A survivor may choose a name for rosters: the trainer, the manager and the API show only
that; the coordinator and the director see who she is."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mamapro.people import services as people
from mamapro.programs.tests.attendance_world import add_sessions, enroll_before_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def taught(make_run, personas):
    return make_run(starts_in=-10, days=30, trainer=personas["trainer"], paid_seats=25)


def test_rosters_show_her_alias_to_everyone_but_the_care_team(
    client, personas, taught, survivor, token_for
) -> None:
    people.update_participant(survivor, data={"alias": "Айжан"})
    (session,) = add_sessions(taught, [-1])
    enroll_before_start(taught, [survivor])
    real = "Қасымова"

    client.force_login(personas["trainer"])
    page = client.get(reverse("programs:roll_call", args=[session.pk])).content.decode()
    assert "Айжан" in page
    assert real not in page
    page = client.get(reverse("programs:run_attendance", args=[taught.pk])).content.decode()
    assert "Айжан" in page
    assert real not in page
    listed = client.get(
        "/api/v1/enrollments", {"run": taught.pk}, headers=token_for(personas["trainer"])
    ).json()
    assert [e.get("participant_name") for e in listed["items"]] == ["Айжан"]
    found = client.get("/api/v1/participants", headers=token_for(personas["trainer"])).json()
    assert [(p["given_name"], p["family_name"]) for p in found["items"]] == [("Айжан", "")]

    client.force_login(personas["coordinator"])
    page = client.get(reverse("people:participant_detail", args=[survivor.pk])).content.decode()
    assert real in page
    assert "Rosters show her as “Айжан”" in page
    listed = client.get(
        "/api/v1/enrollments", {"run": taught.pk}, headers=token_for(personas["coordinator"])
    ).json()
    assert real in listed["items"][0]["participant_name"]


def test_outside_the_care_team_she_is_found_only_by_her_alias(
    client, personas, survivor, token_for, taught
) -> None:
    people.update_participant(survivor, data={"alias": "Айжан"})
    enroll_before_start(taught, [survivor])  # the trainer reaches the women she teaches

    def found(persona: str, query: str) -> list[int]:
        response = client.get(
            "/api/v1/participants", {"search": query}, headers=token_for(personas[persona])
        )
        return [p["id"] for p in response.json()["items"]]

    assert found("trainer", "Айжан") == [survivor.pk]
    assert found("trainer", "қасымова") == []  # her real name confirms nothing
    assert found("trainer", "8 701 555 01") == []  # nor does her phone
    assert found("manager", "8 701 555 01") == [survivor.pk]  # the manager calls her
    assert found("manager", "қасымова") == []
    assert found("coordinator", "қасымова") == [survivor.pk]
    assert found("coordinator", "Айжан") == [survivor.pk]
