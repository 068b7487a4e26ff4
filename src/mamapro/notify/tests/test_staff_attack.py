"""Attacks on the staff's message pages and /deliveries: a trainer, tutor, manager, comms,
psychologist, another centre's coordinator and an anonymous visitor try every new URL and API
operation; what a message said, who she is and how to reach her never leak, whatever the
status; nothing changes on a refused POST; lists keep an order that says nothing about her."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mamapro.conftest import ALIASED_SURVIVOR, build_aliased_survivor
from mamapro.core.models import AuditEntry
from mamapro.notify.models import Delivery, StaffContact
from mamapro.notify.tests.test_staff_pages import delivery, reachable
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db

SENT_TEXT = "Жетісу көшесіндегі сабақ 10:00-де"
BODY = "Ертең кездесу бөлмесі 7"
OUTSIDERS = ["trainer", "tutor", "manager", "comms", "psychologist", "outsider", "norole"]


@pytest.fixture
def her(almaty: Any) -> Any:
    return reachable(build_aliased_survivor(almaty))


@pytest.fixture
def scene(her: Any, run: Any, personas: Any) -> dict[str, Any]:
    run.trainer = personas["trainer"]
    run.save()
    enrollment = seats.enroll(run, her, "paid")
    failed = delivery(
        her,
        status=Delivery.Status.FAILED,
        sent_at=None,
        text=SENT_TEXT,
        body=BODY,
        reason="permanent_error",
        subject_type="programs.enrollment",
        subject_id=str(enrollment.pk),
    )
    StaffContact.objects.create(user=personas["coordinator"], channel="sms", address="+77019990011")
    return {"run": run, "failed": failed}


def secrets_in(text: str) -> list[str]:
    she = ALIASED_SURVIVOR
    found = [
        s
        for s in (
            SENT_TEXT,
            BODY,
            she["given_name"],
            she["family_name"],
            she["alias"],
            she["phone"],
            she["phone"].removeprefix("+7"),
            "9990011",
        )
        if s in text
    ]
    return found


def requests(scene: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    run, failed = scene["run"], scene["failed"]
    return [
        ("get", reverse("notify_run_messages", args=[run.pk]), {}),
        (
            "post",
            reverse("notify_run_messages", args=[run.pk]),
            {"text": "Сәлем", "key": "z" * 22, "send": "1"},
        ),
        ("get", reverse("notify_failed"), {}),
        ("post", reverse("notify_delivery_retry", args=[failed.pk]), {}),
        ("get", reverse("notify_channels"), {}),
        ("get", "/api/v1/deliveries", {}),
        ("get", f"/api/v1/deliveries?participant={failed.participant_id}", {}),
        ("get", f"/api/v1/deliveries?run={run.pk}", {}),
        ("post", f"/api/v1/deliveries/{failed.pk}/retry", {}),
    ]


def _unchanged(scene: dict[str, Any]) -> None:
    scene["failed"].refresh_from_db()
    assert scene["failed"].status == Delivery.Status.FAILED
    assert not Delivery.objects.filter(kind="roster_message").exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outside_the_care_team_nothing_opens_nothing_leaks(
    client: Client, personas, token_for, scene, persona
) -> None:
    client.force_login(personas[persona])
    headers = token_for(personas[persona])
    for method, url, data in requests(scene):
        if url.startswith("/api/"):
            response = getattr(client, method)(url, headers=headers)
        else:
            response = getattr(client, method)(url, data)
        # Another centre's coordinator reads her own centre's (empty) lists; never Almaty's.
        allowed = persona == "outsider" and (
            url in ("/api/v1/deliveries", reverse("notify_failed"), reverse("notify_channels"))
        )
        if allowed:
            assert response.status_code == 200, (persona, url)
        else:
            assert response.status_code in (403, 404), (persona, method, url)
        assert not secrets_in(response.content.decode()), (persona, url)
    _unchanged(scene)
    assert not AuditEntry.objects.filter(
        action="read_sensitive", object_id=str(scene["failed"].participant_id)
    ).exists()


def test_anonymous_is_sent_to_log_in_and_the_api_answers_401(client: Client, scene) -> None:
    for method, url, data in requests(scene):
        response = getattr(client, method)(url, data)
        if url.startswith("/api/"):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302
            assert response["Location"].startswith("/login/")
        assert not secrets_in(response.content.decode())
    assert client.get(reverse("notify_my_contact")).status_code == 302
    _unchanged(scene)


def test_care_team_reads_are_audited_and_texts_stay_on_her_page(login, personas, scene) -> None:
    client = login(personas["coordinator"])
    for url in (reverse("notify_run_messages", args=[scene["run"].pk]), reverse("notify_failed")):
        html = client.get(url).content.decode()
        assert SENT_TEXT not in html, url
        assert BODY not in html, url
    html = client.get(
        reverse("people:participant_detail", args=[scene["failed"].participant_id])
    ).content.decode()
    assert SENT_TEXT in html
    entries = AuditEntry.objects.filter(
        action="read_sensitive", object_id=str(scene["failed"].participant_id)
    )
    assert ["deliveries", "delivery_text"] in [sorted(e.fields) for e in entries]
    assert sum(1 for e in entries if e.fields == ["deliveries"]) >= 2


def test_errors_never_carry_a_message_text(client, personas, token_for, scene) -> None:
    headers = token_for(personas["coordinator"])
    sent = delivery(scene["failed"].participant, text=SENT_TEXT, body=BODY)
    for response in (
        client.post(f"/api/v1/deliveries/{sent.pk}/retry", headers=headers),
        client.get("/api/v1/deliveries?status=nope", headers=headers),
    ):
        assert response.status_code in (409, 422)
        assert not [s for s in secrets_in(response.content.decode()) if s in (SENT_TEXT, BODY)]
    client.force_login(personas["coordinator"])
    response = client.post(reverse("notify_delivery_retry", args=[sent.pk]), follow=True)
    assert "Only a failed message can be sent again." in response.content.decode()
    assert SENT_TEXT not in response.content.decode()


def test_a_roster_text_is_escaped_everywhere(login, personas, run, make_participant) -> None:
    woman = reachable(make_participant())
    seats.enroll(run, woman, "paid")
    client = login(personas["coordinator"])
    url = reverse("notify_run_messages", args=[run.pk])
    evil = "<script>alert(1)</script>"
    html = client.post(url, {"text": evil, "key": "e" * 22, "preview": "1"}).content.decode()
    assert evil not in html
    assert "&lt;script&gt;" in html
    client.post(url, {"text": evil, "key": "e" * 22, "send": "1"})
    html = client.get(reverse("people:participant_detail", args=[woman.pk])).content.decode()
    assert evil not in html


def test_another_centres_coordinator_cannot_message_the_roster(
    login, personas, run, make_participant
) -> None:
    woman = reachable(make_participant())
    seats.enroll(run, woman, "paid")
    response = login(personas["outsider"]).post(
        reverse("notify_run_messages", args=[run.pk]),
        {"text": "Сәлем", "key": "o" * 22, "send": "1"},
    )
    assert response.status_code == 404
    assert not Delivery.objects.filter(kind="roster_message").exists()


def test_lists_are_in_the_order_they_were_made_not_by_who_she_is(
    client, personas, token_for, her, make_participant
) -> None:
    """A survivor's discreet rows or her name must not decide where she sits in a list."""
    others = [reachable(make_participant(family_name=n)) for n in ("Әбенова", "Ысқақова")]
    made = [
        delivery(others[0], status=Delivery.Status.FAILED, sent_at=None),
        delivery(her, status=Delivery.Status.FAILED, sent_at=None, discreet=True),
        delivery(others[1], status=Delivery.Status.FAILED, sent_at=None),
    ]
    items = client.get("/api/v1/deliveries", headers=token_for(personas["coordinator"])).json()
    ours = [i["id"] for i in items["items"] if i["id"] in {d.pk for d in made}]
    assert ours == [d.pk for d in reversed(made)]
    client.force_login(personas["coordinator"])
    html = client.get(reverse("notify_failed")).content.decode()
    positions = [html.index(f"/staff/messages/deliveries/{d.pk}/retry/") for d in reversed(made)]
    assert positions == sorted(positions)


def test_the_admin_shows_no_text_and_no_address(client, make_user, scene) -> None:
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    failed = scene["failed"]
    html = client.get(f"/admin/notify/delivery/{failed.pk}/change/").content.decode()
    assert SENT_TEXT not in html
    assert BODY not in html
    assert AuditEntry.objects.filter(
        action="read_sensitive", object_id=str(failed.participant_id), actor=root
    ).exists()
    contact = StaffContact.objects.get()
    for url in ("/admin/notify/staffcontact/", f"/admin/notify/staffcontact/{contact.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "9990011" not in response.content.decode()
    assert client.get("/admin/notify/delivery/add/").status_code == 403
