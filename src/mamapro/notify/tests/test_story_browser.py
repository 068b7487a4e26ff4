"""The story on her phone: the first waiting woman opens the link from her Kazakh SMS in a
390-px-wide browser and accepts; she is confirmed and the next offer never goes out.

Debian's Chromium through Playwright against the live server and the local Mobizon server
(the real worker code sends the SMS); screenshots in test-artifacts/ to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from mamapro.browser import assert_no_horizontal_overflow
from mamapro.notify import sender
from mamapro.notify.fakes.mobizon import FakeMobizon
from mamapro.notify.models import Delivery
from mamapro.notify.tests.test_triggers_events import reachable
from mamapro.programs.models import Enrollment
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
KAZAKH_LETTERS = re.compile("[әғқңөұүһі]", re.IGNORECASE)


@pytest.fixture
def sms(live_server: Any) -> Iterator[FakeMobizon]:
    with FakeMobizon() as fake, override_settings(**fake.settings(), SITE_URL=live_server.url):
        yield fake


def _offer_sms(sms: FakeMobizon, run: Any, women: list[Any]) -> tuple[str, list[Enrollment]]:
    held, *waiting = [seats.enroll(run, w, "paid") for w in women]
    sender.send_due()
    sms.reset()
    seats.withdraw(held)
    assert sender.send_due() == 1
    (message,) = sms.messages
    assert KAZAKH_LETTERS.search(message.text)
    found = re.search(r"(https?://\S+/offers/\S+)", message.text)
    assert found, message.text
    return found.group(1), waiting


@pytest.mark.django_db(transaction=True)
def test_she_accepts_her_seat_from_the_link_on_her_phone(
    browser_page: Any, sms: FakeMobizon, make_run: Any, make_women: Any
) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    women = [reachable(w) for w in make_women(3)]
    link, (first, second) = _offer_sms(sms, run, women)
    page = browser_page
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "kk"
    assert run.course.title in page.inner_text("main")
    assert page.locator("#quick-exit").is_visible()
    assert_no_horizontal_overflow(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "offer-link-kk.png"), full_page=True)
    page.locator("button[value=accept]").click()
    page.locator("section[data-state=accepted]").wait_for()
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "offer-link-accepted-kk.png"), full_page=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Enrollment.Status.CONFIRMED
    assert second.status == Enrollment.Status.WAITLISTED
    assert not Delivery.objects.filter(participant=second.participant_id).exists()
    # Opened again: already used, nothing changes.
    response = page.goto(link)
    assert response is not None
    assert response.status == 410


@pytest.mark.django_db(transaction=True)
def test_a_survivors_page_on_her_phone_is_discreet(
    browser_page: Any, sms: FakeMobizon, make_run: Any, make_women: Any, survivor: Any
) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    (holder,) = (reachable(w) for w in make_women(1))
    link, (her,) = _offer_sms(sms, run, [holder, reachable(survivor)])
    page = browser_page
    page.goto(link + "?lang=ru")
    text = page.inner_text("body")
    assert run.course.title not in text
    assert "Mama Pro" not in text
    assert_no_horizontal_overflow(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "offer-link-discreet-ru.png"), full_page=True)
    page.locator("button[value=decline]").click()
    page.locator("section[data-state=declined]").wait_for()
    her.refresh_from_db()
    assert her.status == Enrollment.Status.WITHDRAWN
