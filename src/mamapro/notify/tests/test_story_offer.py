"""The issue's "Done when", as a new user would try it, against the local Mobizon server and
the real worker code (`sender.send_due`): a coordinator withdraws a confirmed woman, the first
waiting woman receives an SMS in Kazakh with her link, opens it and accepts — confirmed, and
the next offer never goes out; a survivor's message names nothing about the centre's purpose;
a woman who withdrew consent receives nothing; outside her safe hours the message waits and
goes at her window's start."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from mamapro.centres import clock
from mamapro.notify import sender
from mamapro.notify.fakes.mobizon import FakeMobizon, FakeSms
from mamapro.notify.models import Delivery
from mamapro.notify.tests.test_triggers_events import reachable
from mamapro.people import services as people
from mamapro.people.models import Consent, Participant
from mamapro.people.safe_contact import is_discreet
from mamapro.programs.models import Enrollment, Run
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db
SITE = "https://centre.example"
KAZAKH_LETTERS = re.compile("[әғқңөұүһі]", re.IGNORECASE)
COURSE = "Кәсіпкерлік негіздері"  # the conftest course's title


@pytest.fixture
def sms() -> Iterator[FakeMobizon]:
    with FakeMobizon() as fake, override_settings(**fake.settings(), SITE_URL=SITE):
        yield fake


@pytest.fixture
def full_run(make_run: Any) -> Run:
    run: Run = make_run(paid_seats=1, free_seats=0)
    return run


def digits(woman: Participant) -> str:
    return woman.phone.lstrip("+")


def to(sms: FakeMobizon, woman: Participant) -> list[FakeSms]:
    return [m for m in sms.messages if m.to == digits(woman)]


def the_link(message: FakeSms) -> str:
    found = re.search(re.escape(SITE) + r"(/offers/[^\s]+)", message.text)
    assert found, message.text
    return found.group(1)


def line_up(run: Run, *women: Participant) -> list[Enrollment]:
    return [seats.enroll(run, w, "paid") for w in women]


def withdraw_as_coordinator(client: Client, coordinator: Any, enrollment: Enrollment) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("programs:enrollment_withdraw", args=[enrollment.pk]))
    assert response.status_code in (200, 302), response.status_code
    client.logout()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.WITHDRAWN


def test_the_first_waiting_woman_gets_her_kazakh_sms_and_takes_the_seat_from_her_phone(
    sms: FakeMobizon, full_run: Run, make_women: Any, personas: Any, client: Client
) -> None:
    holder, first, second = (reachable(w) for w in make_women(3))
    held, waiting, after = line_up(full_run, holder, first, second)
    assert (waiting.status, after.status) == ("waitlisted", "waitlisted")
    sender.send_due()
    sms.reset()  # the holder's confirmation went out; the story starts here

    withdraw_as_coordinator(client, personas["coordinator"], held)
    assert sender.send_due() == 1

    (message,) = sms.messages
    assert message.to == digits(first)
    assert KAZAKH_LETTERS.search(message.text), message.text
    assert COURSE in message.text
    offer = Delivery.objects.get(participant=first, kind="offer")
    assert (offer.status, offer.language) == ("sent", "kk")
    # Kazakh is UCS-2 (67 characters a part when split); the link costs well under one.
    assert len(the_link(message)) <= 50
    assert offer.parts <= 3, (offer.parts, message.text)

    page = Client()
    link = the_link(message)
    opened = page.get(link)
    assert opened.status_code == 200
    assert opened["Content-Language"] == "kk"
    assert COURSE in opened.content.decode()
    answered = page.post(link, {"action": "accept"})
    assert answered.status_code == 200
    waiting.refresh_from_db()
    after.refresh_from_db()
    assert waiting.status == Enrollment.Status.CONFIRMED
    assert after.status == Enrollment.Status.WAITLISTED
    # The next offer never goes out: the seat is hers; only her confirmation follows.
    assert not Delivery.objects.filter(participant=second).exists()
    sender.send_due()
    assert not to(sms, second)
    assert [d.kind for d in Delivery.objects.filter(participant=first).order_by("id")] == [
        "offer",
        "confirmed",
    ]
    # The link worked once.
    assert page.post(link, {"action": "decline"}).status_code == 410
    waiting.refresh_from_db()
    assert waiting.status == Enrollment.Status.CONFIRMED
    assert sms.duplicates() == 0


def test_a_survivors_sms_and_page_name_nothing_about_the_centre(
    sms: FakeMobizon, full_run: Run, make_women: Any, survivor: Participant
) -> None:
    (holder,) = (reachable(w) for w in make_women(1))
    her = reachable(survivor)
    held, _waiting = line_up(full_run, holder, her)
    seats.withdraw(held)
    sender.send_due()
    (message,) = to(sms, her)
    assert is_discreet(message.text), message.text
    assert COURSE not in message.text
    assert "Mama Pro" not in message.text
    page = Client().get(the_link(message))
    assert page.status_code == 200
    body = page.content.decode()
    assert COURSE not in body
    assert full_run.centre.name not in body
    assert "Mama Pro" not in body


def test_a_woman_who_withdrew_consent_receives_nothing(
    sms: FakeMobizon, full_run: Run, make_women: Any
) -> None:
    holder, withdrew, changed_mind = (reachable(w) for w in make_women(3))
    for consent in Consent.objects.filter(participant=withdrew):
        people.revoke_consent(consent)
    held, w1, _w2 = line_up(full_run, holder, withdrew, changed_mind)
    seats.withdraw(held)
    sender.send_due()
    assert not to(sms, withdrew)
    offer = Delivery.objects.get(participant=withdrew, kind="offer")
    assert (offer.status, offer.reason) == ("cancelled", "no_consent")
    # Withdrawn between the queue and the send: the second gate stops it too.
    w1.refresh_from_db()
    seats.decline_offer(w1)
    second_offer = Delivery.objects.get(participant=changed_mind, kind="offer")
    assert second_offer.status == "queued"
    for consent in Consent.objects.filter(participant=changed_mind):
        people.revoke_consent(consent)
    sender.send_due()
    assert not to(sms, changed_mind)
    second_offer.refresh_from_db()
    assert second_offer.status == "cancelled"


def test_outside_her_safe_hours_the_offer_waits_for_her_window(
    sms: FakeMobizon, full_run: Run, make_women: Any
) -> None:
    holder, her = (reachable(w) for w in make_women(2))
    local = clock.centre_now(full_run.centre)
    opens = (local + dt.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    closes = opens + dt.timedelta(hours=3)
    Participant.objects.filter(pk=her.pk).update(
        safe_hours_from=opens.time(), safe_hours_to=closes.time()
    )
    held, _waiting = line_up(full_run, holder, her)
    seats.withdraw(held)
    offer = Delivery.objects.get(participant=her, kind="offer")
    assert offer.status == "waiting"
    assert offer.send_after == opens
    sender.send_due()
    assert not to(sms, her)
    sender.send_due(now=opens - dt.timedelta(minutes=1))
    assert not to(sms, her)
    sender.send_due(now=opens)
    (message,) = to(sms, her)
    offer.refresh_from_db()
    assert offer.status == "sent"
    assert offer.sent_at == opens
    assert urlsplit(SITE + the_link(message)).path.startswith("/offers/")
    assert timezone.now() < offer.send_after + dt.timedelta(hours=48)
