"""A tutor on her phone: the needs card is in front of her at check-in, and naming the father
under a protective order at check-out stops her with a warning the coordinator also gets.

Drives Debian's Chromium through Playwright at a 390-px-wide phone viewport against the live
server (skipped without the browser, a failure under CI=true). Leaves screenshots in
test-artifacts/ to look at.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from mamapro.browser import assert_no_horizontal_overflow
from mamapro.conftest import log_in_with_browser
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert, Booking
from mamapro.notify.models import Notification
from mamapro.programs.services import enrollment as seats

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PASSWORD = "a-long-test-password"
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"


@pytest.mark.django_db(transaction=True)
def test_tutor_checks_in_with_the_needs_card_and_is_stopped_at_a_restricted_adult(
    browser_page: Page,
    live_server: Any,
    personas: dict[str, Any],
    kids_run: Any,
    make_session: Any,
    on_shift: Any,
    make_mother: Any,
    child: Any,
    restricted_adult: Any,
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    tutor = personas["tutor"]
    tutor.language = "kk"
    tutor.save(update_fields=["language"])
    now = timezone.now()
    session = make_session(now - dt.timedelta(minutes=10), now + dt.timedelta(hours=2))
    on_shift(2, now - dt.timedelta(hours=1), now + dt.timedelta(hours=3))
    seats.enroll(kids_run, child.parent, "paid")
    booking = kids.book(session, child)
    for _ in range(3):
        kids.book(session, make_mother())
    base = live_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    log_in_with_browser(page, base, tutor, PASSWORD)

    page.goto(f"{base}/kids-room/")
    card = page.locator(f"#child-{booking.pk}")
    expect(card).to_contain_text("Әлихан")
    # The needs card in Kazakh: high support, autism, non-verbal, gluten-free, his medicine.
    for text in ("Күшейтілген қолдау", "Аутизм", "Сөйлемейді", "Глютенсіз", "Депакин"):
        expect(card).to_contain_text(text)
    # The restricted father is never offered.
    expect(card.locator("select option")).to_have_count(1)
    assert "Ерлан" not in card.inner_text()
    assert_no_horizontal_overflow(page)
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "kids-room-390-check-in.png"), full_page=False)
    box = card.locator("button[type=submit]").bounding_box()
    assert box is not None
    assert box["height"] >= 44

    card.locator("button[type=submit]").tap()
    expect(page.locator(".msg.success")).to_contain_text("Әлихан")
    assert Booking.objects.get(pk=booking.pk).checked_in_at is not None

    # At check-out, a man says he is Ерлан Қасымов and has come for the boy.
    card = page.locator(f"#child-{booking.pk}")
    card.locator("input[name=collected_by_name]").fill("ерлан қасымов")
    card.locator("button[type=submit]").tap()
    stop = page.locator(".kr-blocked")
    expect(stop).to_be_visible()
    expect(stop).to_contain_text("ТОҚТА")
    expect(stop).to_contain_text("Ерлан Қасымов")
    assert "Protective order" not in stop.inner_text()
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "kids-room-390-stop.png"), full_page=True)
    assert Booking.objects.get(pk=booking.pk).checked_out_at is None
    alert = Alert.objects.get()
    assert alert.adult == restricted_adult
    assert set(
        Notification.objects.filter(object_id=str(alert.pk)).values_list(
            "recipient__username", flat=True
        )
    ) == {"coordinator", "director"}
