"""POST /hooks/sms/mobizon: Mobizon's signed delivery reports, through the production adapter
(its confirming poll answered by the local Mobizon server) into the outbox."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from mamapro.notify.channels.base import Outgoing
from mamapro.notify.channels.mobizon import MobizonSMS
from mamapro.notify.fakes.mobizon import FakeMobizon, signature
from mamapro.notify.models import Delivery
from mamapro.notify.tests import sms_world
from mamapro.notify.webhooks import MAX_BODY
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db
URL = "/hooks/sms/mobizon"
TEXT = "Ертең сабақ 10:00-де. Mama Pro"

mobizon_server = sms_world.mobizon_server
fake = sms_world.fake


@pytest.fixture
def sent(fake: FakeMobizon, make_participant: Callable[..., Participant]) -> Delivery:
    """A reminder the adapter really sent to the fake, recorded as the worker records it."""
    woman = make_participant()
    sms = MobizonSMS()
    result = sms.send(Outgoing(1, "reminder:x", woman.phone, TEXT, "kk"))
    sms.close()
    return sms_world.sent_row(woman, result.provider_message_id)


def post(client: Client, payload: Any) -> Any:
    return client.post(URL, json.dumps(payload), content_type="application/json")


def status_of(delivery: Delivery) -> str:
    return Delivery.objects.get(pk=delivery.pk).status


def test_the_url_is_the_one_in_the_api_document() -> None:
    assert reverse("notify_hook_sms") == URL


def test_a_signed_report_marks_the_message_delivered(
    client: Client, fake: FakeMobizon, sent: Delivery
) -> None:
    response = post(client, fake.report(sent.provider_message_id, "DELIVRD"))
    assert response.status_code == 200
    row = Delivery.objects.get(pk=sent.pk)
    assert row.status == Delivery.Status.DELIVERED
    assert row.delivered_at is not None


def test_a_final_failure_is_recorded_as_failed(
    client: Client, fake: FakeMobizon, sent: Delivery
) -> None:
    assert post(client, fake.report(sent.provider_message_id, "UNDELIV")).status_code == 200
    row = Delivery.objects.get(pk=sent.pk)
    assert row.status == Delivery.Status.FAILED
    assert row.error == "UNDELIV"


def test_a_retried_report_changes_nothing_twice(
    client: Client, fake: FakeMobizon, sent: Delivery
) -> None:
    report = fake.report(sent.provider_message_id, "DELIVRD")
    assert post(client, report).status_code == 200
    first = Delivery.objects.get(pk=sent.pk).delivered_at
    assert post(client, {**report}).status_code == 200
    assert Delivery.objects.get(pk=sent.pk).delivered_at == first


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: {**r, "sign": "0" * 40},
        lambda r: {k: v for k, v in r.items() if k != "sign"},
        lambda r: {**r, "sign": ""},
        lambda r: {**r, "sign": 12345},
        lambda r: {**r, "eventId": r["eventId"] + 1},
        lambda r: {**r, "attempt": 2},
        lambda r: {**r, "eventCreateTs": "2020-01-01 00:00:00"},
    ],
)
def test_a_wrong_or_missing_signature_is_403_and_nothing_changes(
    client: Client, fake: FakeMobizon, sent: Delivery, tamper: Callable[[dict], dict]
) -> None:
    polls_before = len(fake.requests)
    response = post(client, tamper(fake.report(sent.provider_message_id, "DELIVRD")))
    assert response.status_code == 403
    assert status_of(sent) == Delivery.Status.SENT
    assert len(fake.requests) == polls_before  # refused before anything is asked


def test_a_report_signed_with_another_secret_is_403(
    client: Client, fake: FakeMobizon, sent: Delivery
) -> None:
    report = fake.report(sent.provider_message_id, "DELIVRD", secret="not-ours")
    assert post(client, report).status_code == 403
    assert status_of(sent) == Delivery.Status.SENT


def test_a_replayed_report_with_other_data_records_what_mobizon_says(
    client: Client, fake: FakeMobizon, sent: Delivery
) -> None:
    """The sign does not cover `data`: a captured report replayed as "UNDELIV" for her
    message is checked against the API, which says it was delivered."""
    report = fake.report(sent.provider_message_id, "DELIVRD")
    report["data"]["status"] = "UNDELIV"
    assert post(client, report).status_code == 200
    assert status_of(sent) == Delivery.Status.DELIVERED


def test_an_unknown_message_id_is_200_and_ignored(
    client: Client, fake: FakeMobizon, sent: Delivery
) -> None:
    response = post(client, fake.report(424242, "DELIVRD"))
    assert response.status_code == 200
    assert status_of(sent) == Delivery.Status.SENT


def test_a_report_for_another_channels_id_changes_nothing(
    client: Client, fake: FakeMobizon, sent: Delivery
) -> None:
    Delivery.objects.filter(pk=sent.pk).update(channel="whatsapp")
    assert post(client, fake.report(sent.provider_message_id, "DELIVRD")).status_code == 200
    assert status_of(sent) == Delivery.Status.SENT


def test_a_form_event_is_200_and_ignored(client: Client, fake: FakeMobizon) -> None:
    created = "2026-01-15 16:53:30"
    payload = {
        "eventId": 40,
        "eventType": "form-submission",
        "eventCreateTs": created,
        "webhookId": 1,
        "attempt": 1,
        "data": {"formId": 846},
        "sign": signature(40, 1, created, fake.webhook_secret),
    }
    assert post(client, payload).status_code == 200


def test_the_raw_form_format_is_read_too(client: Client, fake: FakeMobizon, sent: Delivery) -> None:
    report = fake.report(sent.provider_message_id, "DELIVRD")
    form = {k: v for k, v in report.items() if k != "data"}
    form.update({f"data[{k}]": v for k, v in report["data"].items()})
    assert client.post(URL, form).status_code == 200
    assert status_of(sent) == Delivery.Status.DELIVERED


def test_when_mobizon_cannot_confirm_the_answer_is_503_so_it_retries(
    client: Client, fake: FakeMobizon, sent: Delivery
) -> None:
    report = fake.report(sent.provider_message_id, "DELIVRD")
    fake.fail_next(1, status=502)
    assert post(client, report).status_code == 503
    assert status_of(sent) == Delivery.Status.SENT
    assert post(client, report).status_code == 200  # Mobizon's retry
    assert status_of(sent) == Delivery.Status.DELIVERED


def test_without_a_webhook_secret_the_hook_is_404(
    client: Client, fake: FakeMobizon, sent: Delivery
) -> None:
    report = fake.report(sent.provider_message_id, "DELIVRD")
    with override_settings(SMS_WEBHOOK_SECRET=""):
        assert post(client, report).status_code == 404
    with override_settings(SMS_API_KEY=""):
        assert post(client, report).status_code == 404
    assert status_of(sent) == Delivery.Status.SENT


def test_a_body_over_the_limit_is_413(client: Client, fake: FakeMobizon, sent: Delivery) -> None:
    report = fake.report(sent.provider_message_id, "DELIVRD")
    report["padding"] = "x" * MAX_BODY
    assert post(client, report).status_code == 413
    assert status_of(sent) == Delivery.Status.SENT


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2]", b"\xff\xfe", b"null"])
def test_junk_is_403(client: Client, fake: FakeMobizon, body: bytes) -> None:
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 403


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(client: Client, fake: FakeMobizon, method: str) -> None:
    assert getattr(client, method)(URL).status_code == 405


def test_no_csrf_token_is_needed_and_a_session_changes_nothing(
    fake: FakeMobizon, sent: Delivery, personas: dict[str, Any]
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas["director"])
    bad = fake.report(sent.provider_message_id, "DELIVRD", secret="x")
    assert post(browser, bad).status_code == 403  # a signed-in director is no credential
    assert post(browser, fake.report(sent.provider_message_id, "DELIVRD")).status_code == 200


def test_the_body_is_never_logged(
    client: Client, fake: FakeMobizon, sent: Delivery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    report = fake.report(sent.provider_message_id, "DELIVRD")
    post(client, report)
    post(client, {**report, "sign": "0" * 40})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert report["data"]["to"] not in logged
    assert sent.participant is not None
    assert sent.participant.phone[1:] not in logged
    assert TEXT not in logged
