"""The template editor on a 390-px phone: typing updates the preview in place (htmx, no
inline script under the strict Content-Security-Policy), with its SMS parts and cost, and an
unknown placeholder is named before anything is saved. Saves a screenshot of the editor."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mamapro.browser import assert_no_horizontal_overflow
from mamapro.conftest import log_in_with_browser
from mamapro.notify.models import MessageTemplate

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SCREENS = Path(__file__).resolve().parents[4] / "test-artifacts" / "screens"


@pytest.mark.django_db(transaction=True)
def test_the_live_preview_answers_as_she_types(
    browser_page: Page, live_server: Any, personas: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    comms = personas["comms"]
    comms.language = "en"
    comms.save(update_fields=["language"])
    base = live_server.url
    log_in_with_browser(page, base, comms, "a-long-test-password")
    page.goto(f"{base}/staff/messages/templates/")
    assert_no_horizontal_overflow(page)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "templates-list-en.png"), full_page=False)
    page.click("a[href='/staff/messages/templates/offer/discreet/ru/']")
    expect(page.locator("main h1")).to_have_text("Seat offer")
    assert_no_horizontal_overflow(page)
    live = page.locator("#preview-ru")
    expect(live).to_contain_text("Для вас сохранено место до")

    page.fill("#id_text", "Место на курсе {course} и {nmae}")
    expect(live).to_contain_text("Unknown placeholder {nmae}")
    expect(live).to_contain_text("{course} may not be used in a discreet message")
    expect(page).to_have_url(f"{base}/staff/messages/templates/offer/discreet/ru/")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(SCREENS / "templates-refused-en.png"), full_page=False)

    page.fill("#id_text", "Привет, {name}! Место ждёт вас до {until}: {link}")
    expect(live).to_contain_text("Привет, Анна! Место ждёт вас до")
    expect(live.locator(".tpl-parts")).to_contain_text("SMS parts")
    expect(live.locator(".tpl-cost")).to_contain_text("₸")
    assert not MessageTemplate.objects.exists()  # a preview saves nothing
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(SCREENS / "templates-editor-en.png"), full_page=True)

    # Communications may try discreet words, never save them: the director does.
    expect(page.locator("main")).to_contain_text("Only the director changes the discreet words")
    assert page.locator("main form[method=post] button[type=submit]").count() == 0
    page.goto(f"{base}/staff/messages/templates/offer/standard/ru/")
    page.fill("#id_text", "Привет, {name}! Место на курсе {course} ждёт вас до {until}: {link}")
    page.click("main form[method=post] button[type=submit]")
    expect(page.locator(".msg")).to_contain_text("Saved as version 1.")
    saved = MessageTemplate.objects.get()
    assert (saved.kind, saved.variant, saved.language, saved.version) == (
        "offer",
        "standard",
        "ru",
        1,
    )
    assert saved.created_by_id == comms.pk
