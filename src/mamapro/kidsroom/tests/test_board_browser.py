"""A tutor on her phone: the needs card and the warning about the father under a protective
order are in front of her at check-in; every message lands on the card she acted on, on
screen and announced; naming the father at check-out stops her with a warning the
coordinator also gets.

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


def _in_viewport(page: Page, locator: Any) -> None:
    """The whole element is on screen, without scrolling."""
    box = locator.bounding_box()
    assert box is not None
    height = page.viewport_size["height"] if page.viewport_size else 0
    assert box["y"] >= 0, (box, height)
    assert box["y"] + box["height"] <= height, (box, height)


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

    from mamapro.kidsroom.models import Rules

    page = browser_page
    tutor = personas["tutor"]
    tutor.language = "kk"
    tutor.save(update_fields=["language"])
    coordinator = personas["coordinator"]
    coordinator.first_name, coordinator.last_name = "Гүлмира", "Ахметова"
    coordinator.save(update_fields=["first_name", "last_name"])
    Rules.objects.create(centre=child.centre, coordinator_phone="+77015550111")
    now = timezone.now()
    session = make_session(now - dt.timedelta(minutes=10), now + dt.timedelta(hours=2))
    on_shift(2, now - dt.timedelta(hours=1), now + dt.timedelta(hours=3))
    seats.enroll(kids_run, child.parent, "paid")
    booking = kids.book(session, child)
    # Five more children before him on the board (Ә sorts after the Cyrillic letters): his
    # card is far down the page, below the top where messages used to appear.
    for _ in range(5):
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
    # Warned, in words she acts on: who (first name, initial, relation), what to do, whom to
    # call. Never his surname, and he is never a choice.
    warning = card.locator(".kr-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Ерлан Қ.")
    expect(warning).to_contain_text("Гүлмира Ахметова")
    expect(warning).to_contain_text("102")
    expect(warning.locator("a[href='tel:+77015550111']")).to_be_visible()
    expect(card.locator("select option")).to_have_count(1)
    assert "Ерлан Қасымов" not in card.inner_text()
    assert "Protective order" not in card.inner_text()
    assert_no_horizontal_overflow(page)
    card.scroll_into_view_if_needed()
    _in_viewport(page, warning)
    page.screenshot(path=str(ARTIFACTS / "kids-room-390-warning.png"), full_page=False)
    box = card.locator("button[type=submit]").bounding_box()
    assert box is not None
    assert box["height"] >= 44

    # Check-in: the message lands on his card, on screen, announced.
    card.locator("button[type=submit]").tap()
    said = card.locator(".kr-feedback")
    expect(said).to_contain_text("Әлихан")
    expect(said).to_have_attribute("role", "alert")
    expect(said).to_have_class("msg success kr-feedback")
    _in_viewport(page, said)
    assert page.evaluate("window.scrollY") > 300  # the board did jump down to his card
    page.screenshot(path=str(ARTIFACTS / "kids-room-390-checked-in.png"), full_page=False)
    assert Booking.objects.get(pk=booking.pk).checked_in_at is not None
    assert page.locator("ul.messages").count() == 0  # nothing left at the top, out of sight

    # A check-out to somebody not on his list is refused, on his card, on screen.
    card.locator("input[name=collected_by_name]").fill("Болат Серіков")
    card.locator("button[type=submit]").tap()
    said = card.locator(".kr-feedback")
    expect(said).to_have_class("msg error kr-feedback")
    expect(said).to_have_attribute("role", "alert")
    _in_viewport(page, said)
    page.screenshot(path=str(ARTIFACTS / "kids-room-390-refused.png"), full_page=False)
    assert Booking.objects.get(pk=booking.pk).checked_out_at is None

    # At check-out, a man says he is Қасымов Ерлан and has come for the boy.
    card.locator("input[name=collected_by_name]").fill("қасымов ерлан")
    card.locator("button[type=submit]").tap()
    stop = page.locator(".kr-blocked")
    expect(stop).to_be_visible()
    expect(stop).to_have_attribute("role", "alert")
    expect(stop).to_contain_text("ТОҚТА")
    expect(stop).to_contain_text("Ерлан Қ.")
    expect(stop.locator("a[href='tel:+77015550111']")).to_be_visible()
    assert "Ерлан Қасымов" not in stop.inner_text()
    assert "Protective order" not in stop.inner_text()
    _in_viewport(page, stop.locator(".kr-stop"))
    _in_viewport(page, stop.locator("h1"))
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
