"""The local Mobizon server itself, as the benchmark and the end-to-end run use it: the API's
envelope over plain HTTP, arrays as PHP clients send them, duplicates counted, and signed
delivery reports posted to a running site's webhook."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import override_settings

from mamapro.notify.channels.base import Outgoing
from mamapro.notify.channels.mobizon import MobizonSMS
from mamapro.notify.fakes.mobizon import API_KEY, FakeMobizon
from mamapro.notify.models import Delivery
from mamapro.notify.tests import sms_world
from mamapro.people.models import Participant


def call(fake: FakeMobizon, method: str, fields: list[tuple[str, str]], key: str = API_KEY) -> Any:
    parts = urlsplit(fake.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    query = urlencode({"output": "json", "api": "v1", "apiKey": key})
    conn.request(
        "POST",
        f"/service/message/{method}?{query}",
        urlencode(fields),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = conn.getresponse()
    body = json.loads(answer.read())
    conn.close()
    return body


def test_the_api_envelope_codes_and_arrays() -> None:
    with FakeMobizon() as fake:
        sent = call(fake, "sendSmsMessage", [("recipient", "77011234567"), ("text", "Сәлем")])
        assert sent["code"] == 0
        assert set(sent["data"]) == {"campaignId", "messageId", "status"}
        message_id = str(sent["data"]["messageId"])
        for ids in (
            [("ids[]", message_id)],
            [("ids", f"{message_id},1")],
            [("ids[0]", message_id)],
        ):
            answer = call(fake, "getSMSStatus", ids)
            assert answer["code"] == 0
            assert [item["id"] for item in answer["data"]] == [int(message_id)]
        assert call(fake, "getSMSStatus", [])["code"] == 2
        assert call(fake, "getSMSStatus", [("ids", ",".join(map(str, range(101))))])["code"] == 12
        assert call(fake, "sendSmsMessage", [("recipient", "+7701"), ("text", "x")])["code"] == 1
        assert call(fake, "sendSmsMessage", [("recipient", "77011234567")], key="no")["code"] == 8
        listed = call(fake, "list", [("criteria[to]", "7011234"), ("criteria[text]", "Сәлем")])
        assert listed["data"]["totalItemCount"] == 1
        # The key is never among what it recorded.
        assert all("apiKey" not in r.params for r in fake.requests)


def test_duplicates_count_the_same_text_to_the_same_number_twice() -> None:
    with FakeMobizon() as fake:
        for text in ("a", "b", "a", "a"):
            call(fake, "sendSmsMessage", [("recipient", "77011234567"), ("text", text)])
        call(fake, "sendSmsMessage", [("recipient", "77019998877"), ("text", "a")])
        assert fake.duplicates() == 2


@pytest.mark.django_db(transaction=True)
def test_a_report_posted_to_a_running_site_marks_the_delivery(
    live_server: Any, make_participant: Callable[..., Participant]
) -> None:
    woman = make_participant()
    with FakeMobizon() as fake, override_settings(**fake.settings()):
        sms = MobizonSMS()
        sent = sms.send(Outgoing(1, "k", woman.phone, "Ертең кездесеміз", "kk", flash=True))
        sms.close()
        row = sms_world.sent_row(woman, sent.provider_message_id)
        hook = f"{live_server.url}/hooks/sms/mobizon"
        assert fake.post_report(hook, sent.provider_message_id, "DELIVRD") == 200
        assert fake.post_report(hook, "77777", "DELIVRD") == 200  # not ours: ignored
    assert Delivery.objects.get(pk=row.pk).status == Delivery.Status.DELIVERED
