"""A coordinator registers a woman from her phone, in a real browser.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright's sync API against
pytest-django's live server, at a phone-sized viewport: log in through the real form, submit
the registration form once with a bad phone (field-level error, nothing saved), then with a
good one (saved, normalised, shown on her page).

Without Chromium or Playwright the test is skipped with the reason; with CI=true it fails
instead, so a CI image that lost its browser cannot pass silently.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mamapro.browser import PHONE_VIEWPORT, assert_no_horizontal_overflow
from mamapro.conftest import log_in_with_browser
from mamapro.core.models import User
from mamapro.people.models import Participant

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser

VIEWPORT: ViewportSize = {"width": PHONE_VIEWPORT["width"], "height": PHONE_VIEWPORT["height"]}
PASSWORD = "a-long-test-password"
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"


def _screenshot_on_failure(page: Page, name: str) -> None:
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    except Exception:  # noqa: S110 (best effort: never hide the real failure)
        pass


@pytest.mark.django_db(transaction=True)
def test_coordinator_registers_participant_on_a_phone(
    browser_page: Page, live_server: Any, personas: dict[str, User]
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    coordinator = personas["coordinator"]
    # English interface: the field error is asserted word for word.
    coordinator.language = "en"
    coordinator.save(update_fields=["language"])
    base = live_server.url
    try:
        # Log in through the real form, then take the home page's "Register" tile.
        log_in_with_browser(page, base, coordinator, PASSWORD)
        expect(page.locator("#language-switch")).to_have_value("en")
        assert_no_horizontal_overflow(page)
        page.click('main a.tile[href="/participants/new/"]')
        expect(page).to_have_url(f"{base}/participants/new/")
        expect(page.locator("#id_given_name")).to_be_visible()
        assert_no_horizontal_overflow(page)

        # A phone with one digit missing: the error sits under the phone field; nothing saved.
        page.fill("#id_given_name", "Әлия")
        page.fill("#id_family_name", "Қожахметова")
        page.fill("#id_phone", "8 701 555 12")
        page.click("main form.form button[type=submit]")
        phone_field = page.locator(".field", has=page.locator("#id_phone"))
        error = phone_field.locator("#id_phone_error")
        expect(error).to_be_visible()
        expect(error).to_have_text("A phone number has 10 digits after +7, e.g. +7 701 123 45 67.")
        expect(phone_field).to_have_class(re.compile(r"\bhas-error\b"))
        expect(page.locator("main [role=alert]")).to_be_visible()
        # Next to the field: right under the input, not elsewhere on the page.
        box_input = page.locator("#id_phone").bounding_box()
        box_error = error.bounding_box()
        assert box_input is not None
        assert box_error is not None
        assert 0 <= box_error["y"] - (box_input["y"] + box_input["height"]) <= 80
        # What she typed is still there.
        expect(page.locator("#id_given_name")).to_have_value("Әлия")
        expect(page.locator("#id_family_name")).to_have_value("Қожахметова")
        assert_no_horizontal_overflow(page)
        assert not Participant.objects.exists()

        # Now the number as people say it.
        page.fill("#id_phone", "8 701 555 12 34")
        page.click("main form.form button[type=submit]")
        expect(page).to_have_url(re.compile(r"/participants/\d+/$"))
        expect(page.locator("main h1")).to_contain_text("Әлия")
        expect(page.locator("main h1")).to_contain_text("Қожахметова")
        expect(page.locator("main")).to_contain_text("+77015551234")
        assert_no_horizontal_overflow(page)

        participant = Participant.objects.get()
        assert (participant.given_name, participant.family_name) == ("Әлия", "Қожахметова")
        assert participant.phone == "+77015551234"
        assert page.url == f"{base}/participants/{participant.pk}/"
    except BaseException:
        _screenshot_on_failure(page, "test_coordinator_registers_participant_on_a_phone")
        raise


@pytest.mark.django_db(transaction=True)
def test_the_browser_refuses_injected_inline_script(chromium: Any, live_server: Any) -> None:
    """The policy is not decoration: a script smuggled into a page does not run."""
    page = chromium.new_page()
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text))
    page.goto(f"{live_server.url}/login/")
    with contextlib.suppress(Exception):  # Playwright may report the blocked tag as an error
        page.add_script_tag(content="window.injected = 1")
    assert page.evaluate("window.injected") is None
    assert any("Content Security Policy" in text for text in refused), refused
    page.close()


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_work_under_the_content_security_policy(
    browser_page: Page, live_server: Any
) -> None:
    """The browsable API docs load from our own static files and break no policy."""
    from playwright.sync_api import expect

    browser_page.goto(f"{live_server.url}/api/v1/docs")
    expect(browser_page.locator(".swagger-ui .title")).to_contain_text("Mama Pro Centre API")
