"""The message pages on a 390-px phone, in a real browser, in kk, ru and en: nothing wider than
the screen, and a screenshot of each under test-artifacts/screens/ to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.browser import assert_no_horizontal_overflow
from mamapro.conftest import log_in_with_browser
from mamapro.notify.models import Delivery
from mamapro.notify.tests.test_staff_pages import delivery, reachable
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[4] / "test-artifacts" / "screens"


@pytest.mark.django_db(transaction=True)
def test_message_pages_fit_a_phone_in_every_language(
    browser_page: Any,
    live_server: Any,
    personas: dict[str, Any],
    run: Any,
    make_participant: Any,
    survivor: Any,
) -> None:
    women = [reachable(make_participant(given_name=n)) for n in ("Айгүл", "Мадина")]
    women.append(reachable(survivor))
    for w in women:
        seats.enroll(run, w, "paid")
    delivery(
        women[0],
        text="Ертең 10:00-де сабақ. Кездескенше!",
        subject_type="programs.run",
        subject_id=str(run.pk),
    )
    delivery(
        women[1],
        status=Delivery.Status.FAILED,
        sent_at=None,
        reason="permanent_error",
        error="invalid number",
        attempts=1,
        subject_type="programs.run",
        subject_id=str(run.pk),
    )
    delivery(
        survivor,
        status=Delivery.Status.WAITING,
        sent_at=None,
        reason="outside_safe_hours",
        kind="roster_message",
        body="Ертең сабақ жоқ.",
        discreet=True,
        send_after=timezone.now(),
    )
    coordinator = personas["coordinator"]
    page = browser_page
    base = live_server.url
    log_in_with_browser(page, base, coordinator, "a-long-test-password")
    pages = {
        "her-page": reverse("people:participant_detail", args=[survivor.pk]),
        "run-messages": reverse("notify_run_messages", args=[run.pk]),
        "failed": reverse("notify_failed"),
        "channels": reverse("notify_channels"),
        "my-contact": reverse("notify_my_contact"),
    }
    SCREENS.mkdir(parents=True, exist_ok=True)
    for lang in ("kk", "ru", "en"):
        coordinator.language = lang
        coordinator.save(update_fields=["language"])
        for name, url in pages.items():
            page.goto(base + url)
            assert page.locator("html").get_attribute("lang") == lang
            if name == "her-page":
                page.locator("#messages details").first.evaluate("d => d.open = true")
            if name == "run-messages":
                page.fill("#id_text", "Ертең сабақ 11:00-де басталады.")
                page.click("button[name=preview]")
            assert_no_horizontal_overflow(page)
            page.screenshot(path=str(SCREENS / f"staff-{name}-{lang}.png"), full_page=True)
