"""The psychologist finds a new client by her phone and books her, on a 390-px phone: the
search answers in place (htmx, no inline script under the strict Content-Security-Policy) with
the woman's roster alias only, and the booking goes through the answer it gave."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from mamapro.browser import assert_no_horizontal_overflow
from mamapro.conftest import log_in_with_browser
from mamapro.counselling.models import Appointment
from mamapro.people import services as people

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_she_finds_a_new_client_by_phone_and_books_her(
    browser_page: Page, live_server: Any, personas: dict[str, Any], almaty: Any
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    psychologist = personas["psychologist"]
    psychologist.language = "en"
    psychologist.save(update_fields=["language"])
    hidden = people.create_participant(
        centre=almaty,
        data={
            "given_name": "Сандуғаш",
            "family_name": "Жанторина",
            "alias": "Гүлнар",
            "phone": "+77089412763",
        },
    )
    base = live_server.url
    log_in_with_browser(page, base, psychologist, "a-long-test-password")
    page.goto(f"{base}/counselling/new/")
    assert_no_horizontal_overflow(page)
    expect(page.locator("select[name=participant] option")).to_have_count(1)

    page.fill("#find-q", "Жанторина")  # a family name alone finds nobody
    page.click("form[role=search] button[type=submit]")
    expect(page.locator("#found")).to_contain_text("No one found")
    expect(page).to_have_url(f"{base}/counselling/new/")  # answered in place

    page.fill("#find-q", "8 708 941 27 63")
    page.click("form[role=search] button[type=submit]")
    expect(page.locator("#found label")).to_have_text("the woman you searched for")
    assert "Жанторина" not in page.content()
    assert "Гүлнар" not in page.content()  # her alias only once she is a client
    day = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    page.fill("#id_day", day)
    page.fill("#id_starts", "10:00")
    page.fill("#id_ends", "11:00")
    page.click("main form[method=post] button[type=submit]")
    expect(page.locator("main h1")).to_have_text("Гүлнар")
    assert Appointment.objects.get().participant_id == hidden.pk
