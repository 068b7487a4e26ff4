"""GET /api/v1/deliveries and POST /api/v1/deliveries/{id}/retry (API.md "Messages")."""

from __future__ import annotations

from typing import Any

import pytest

from mamapro.core.models import AuditEntry
from mamapro.notify.models import Delivery
from mamapro.notify.tests.test_staff_pages import delivery, reachable
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db
FIELDS = {
    "id",
    "participant",
    "centre",
    "kind",
    "channel",
    "language",
    "status",
    "reason",
    "attempts",
    "discreet",
    "created_at",
    "send_after",
    "sent_at",
    "delivered_at",
}


def get(client: Any, headers: dict[str, str], query: str = "") -> Any:
    return client.get(f"/api/v1/deliveries{query}", headers=headers)


def test_list_has_the_fields_and_the_reason_as_a_sentence(
    client, personas, token_for, survivor
) -> None:
    d = delivery(survivor, status=Delivery.Status.CANCELLED, sent_at=None, reason="no_consent")
    response = get(client, token_for(personas["coordinator"]))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert set(item) == FIELDS
    assert item["id"] == d.pk
    assert item["participant"] == survivor.pk
    assert item["reason"] == "She has not given (or has withdrawn) consent to data processing."
    assert [
        e.fields
        for e in AuditEntry.objects.filter(object_id=str(survivor.pk), action="read_sensitive")
    ] == [["deliveries"]]


def test_no_text_body_or_address_in_the_api(client, personas, token_for, survivor) -> None:
    delivery(survivor, text="Сабақ ертең 10:00-де.", body="Ертең сабақ жоқ.")
    text = get(client, token_for(personas["director"])).content.decode()
    assert "Сабақ" not in text
    assert "сабақ" not in text
    assert survivor.phone.removeprefix("+7") not in text


def test_filters(client, personas, token_for, run, make_participant, survivor) -> None:
    her = reachable(make_participant())
    enrollment = seats.enroll(run, her, "paid")
    Delivery.objects.all().delete()  # the confirmation the enrollment queued
    about_run = delivery(her, subject_type="programs.enrollment", subject_id=str(enrollment.pk))
    failed = delivery(survivor, status=Delivery.Status.FAILED, sent_at=None, kind="offer")
    headers = token_for(personas["coordinator"])

    def ids(query: str) -> list[int]:
        response = get(client, headers, query)
        assert response.status_code == 200, response.content
        return [i["id"] for i in response.json()["items"]]

    assert ids(f"?participant={her.pk}") == [about_run.pk]
    assert ids(f"?run={run.pk}") == [about_run.pk]
    assert ids("?status=failed") == [failed.pk]
    assert ids("?kind=offer") == [failed.pk]
    assert ids("") == [failed.pk, about_run.pk]  # newest first
    assert ids("?limit=1&offset=1") == [about_run.pk]
    assert get(client, headers, "?limit=1").json()["count"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=lost", "status"),
        ("?kind=spam", "kind"),
        ("?participant=0", "participant"),
        ("?limit=500", "limit"),
        ("?offset=-1", "offset"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client, personas, token_for, query, field) -> None:
    response = get(client, token_for(personas["coordinator"]), query)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_outside_her_centres_is_404(
    client, personas, token_for, survivor, make_run, astana
) -> None:
    headers = token_for(personas["outsider"])  # Astana's coordinator
    assert get(client, headers, f"?participant={survivor.pk}").status_code == 404
    other_run = make_run()  # at Almaty
    assert get(client, headers, f"?run={other_run.pk}").status_code == 404
    delivery(survivor)
    assert get(client, headers).json() == {"items": [], "count": 0}


@pytest.mark.parametrize("role", ["manager", "comms", "trainer", "tutor", "psychologist"])
def test_other_roles_are_403(client, personas, token_for, survivor, role) -> None:
    d = delivery(survivor, status=Delivery.Status.FAILED, sent_at=None)
    headers = token_for(personas[role])
    assert get(client, headers).status_code == 403
    assert get(client, headers, f"?participant={survivor.pk}").status_code == 403
    assert client.post(f"/api/v1/deliveries/{d.pk}/retry", headers=headers).status_code == 403


def test_list_runs_a_constant_number_of_queries(
    client, personas, token_for, make_participant, django_assert_max_num_queries
) -> None:
    headers = token_for(personas["coordinator"])
    delivery(make_participant())
    get(client, headers)
    with django_assert_max_num_queries(30) as few:
        get(client, headers)
    for _ in range(10):
        delivery(make_participant())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert get(client, headers).json()["count"] == 11


def test_retry_queues_a_failed_delivery_again(
    client, personas, token_for, make_participant
) -> None:
    her = reachable(make_participant())
    d = delivery(her, status=Delivery.Status.FAILED, sent_at=None, reason="permanent_error")
    response = client.post(
        f"/api/v1/deliveries/{d.pk}/retry", headers=token_for(personas["coordinator"])
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] in ("queued", "waiting")
    d.refresh_from_db()
    assert d.status in (Delivery.Status.QUEUED, Delivery.Status.WAITING)


@pytest.mark.parametrize("status", ["queued", "sent", "delivered", "cancelled"])
def test_retry_of_what_did_not_fail_is_409(client, personas, token_for, survivor, status) -> None:
    d = delivery(survivor, status=status)
    response = client.post(
        f"/api/v1/deliveries/{d.pk}/retry", headers=token_for(personas["coordinator"])
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "Only a failed message can be sent again."
    d.refresh_from_db()
    assert d.status == status


def test_retry_outside_her_centres_is_404(client, personas, token_for, survivor) -> None:
    d = delivery(survivor, status=Delivery.Status.FAILED, sent_at=None)
    response = client.post(
        f"/api/v1/deliveries/{d.pk}/retry", headers=token_for(personas["outsider"])
    )
    assert response.status_code == 404
    assert (
        client.post(
            "/api/v1/deliveries/999999/retry", headers=token_for(personas["coordinator"])
        ).status_code
        == 404
    )
