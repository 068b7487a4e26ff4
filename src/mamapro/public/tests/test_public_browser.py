"""A woman applies in Kazakh from her phone; the quick exit leaves at once and leaves no way back.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against pytest-django's live
server at a 390px phone viewport. The network is closed, so the neutral site the quick exit
goes to is answered by a stub through `page.route`; every other request must stay on this
site. Screenshots go to test-artifacts/public-*.png.

Without Chromium or Playwright the tests are skipped with the reason; with CI=true they fail
instead, as the staff browser test does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from mamapro.browser import PHONE_VIEWPORT, assert_no_horizontal_overflow
from mamapro.centres.models import Centre
from mamapro.conftest import log_in_with_browser
from mamapro.core.models import User
from mamapro.people.models import Participant
from mamapro.programs.models import Course, Run, TopicRequest
from mamapro.programs.services.enrollment import enroll
from mamapro.public import safety
from mamapro.public.models import Application
from mamapro.public.services import topics

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize

pytestmark = pytest.mark.browser

VIEWPORT: ViewportSize = {"width": PHONE_VIEWPORT["width"], "height": PHONE_VIEWPORT["height"]}
PASSWORD = "a-long-test-password"
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
NEUTRAL_PAGE = "<!doctype html><title>Погода</title><h1>Погода в Алматы</h1>"


def _phone(chromium: Browser, base: str, *, locale: str = "ru-RU") -> tuple[BrowserContext, Page]:
    """A phone whose every request outside this site is recorded, and the neutral site stubbed."""
    context = chromium.new_context(viewport=VIEWPORT, is_mobile=True, has_touch=True, locale=locale)
    foreign: list[str] = []

    def neutral(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=NEUTRAL_PAGE)

    context.route(f"{safety.QUICK_EXIT_URL}**", neutral)
    context.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((base, safety.QUICK_EXIT_URL, "about:", "data:"))
            else foreign.append(request.url)
        ),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.set_default_navigation_timeout(20_000)
    page.foreign_requests = foreign  # type: ignore[attr-defined]
    return context, page


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if full_page:
        # From the top: the sticky quick-exit bar would otherwise sit mid-page in the picture.
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"public-{name}.png"), full_page=full_page)


@pytest.fixture
def catalogue(almaty: Centre, astana: Centre, make_women: Any) -> dict[str, Run]:
    today = timezone.localdate()
    business = Course.objects.create(
        title="Кәсіпкерлік негіздері",
        category="entrepreneurship",
        language="kk",
        description=(
            "Бизнес-идеядан алғашқы тапсырысқа дейін: жоспар, баға, салық, "
            "әлеуметтік желідегі жарнама."
        ),
    )
    computers = Course.objects.create(
        title="Компьютерная грамотность", category="computer_literacy", language="ru"
    )
    workshop = Course.objects.create(
        title="ИП ашу: салық пен құжаттар",
        category="entrepreneurship",
        language="kk_ru",
        is_workshop=True,
    )
    runs = {
        "business": Run.objects.create(
            course=business,
            centre=almaty,
            starts_on=today + dt.timedelta(days=12),
            ends_on=today + dt.timedelta(days=54),
            price=Decimal("15000"),
        ),
        "workshop": Run.objects.create(
            course=workshop,
            centre=almaty,
            starts_on=today + dt.timedelta(days=4),
            ends_on=today + dt.timedelta(days=4),
            price=Decimal("0"),
            paid_seats=25,
            free_seats=0,
            speaker="Гүлмира Әбенова, бухгалтер",
        ),
        "computers": Run.objects.create(
            course=computers,
            centre=astana,
            starts_on=today + dt.timedelta(days=20),
            ends_on=today + dt.timedelta(days=50),
            price=Decimal("12000"),
            paid_seats=1,
            free_seats=1,
        ),
    }
    enroll(runs["computers"], make_women(1, centre=astana)[0], "paid")
    TopicRequest.objects.create(centre=almaty, title="Instagram-да тауар сату")
    TopicRequest.objects.create(centre=almaty, title="Как вести учёт доходов самозанятой")
    return runs


@pytest.mark.django_db(transaction=True)
def test_a_woman_applies_in_kazakh_and_the_coordinator_finds_her(
    chromium: Browser, live_server: Any, catalogue: dict[str, Run], personas: dict[str, User]
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    run = catalogue["business"]
    context, page = _phone(chromium, base)
    try:
        page.goto(f"{base}/")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        # She switches the site to Kazakh with the language buttons.
        page.click("form.languages button[value=kk]")
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        expect(page.locator("#quick-exit")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Кәсіпкерлік негіздері")
        expect(page.locator("main")).to_contain_text("ИП ашу: салық пен құжаттар")
        assert_no_horizontal_overflow(page)
        _shot(page, "catalogue-kk")

        page.click(f'main h3 a[href="/courses/{run.pk}/"]')
        expect(page).to_have_url(f"{base}/courses/{run.pk}/")
        assert_no_horizontal_overflow(page)
        _shot(page, "run-kk")

        page.click(f'main a[href="/courses/{run.pk}/apply/"]')
        expect(page).to_have_url(f"{base}/courses/{run.pk}/apply/")
        expect(page.locator("#id_language_0")).to_be_checked()  # Kazakh, the page's language
        page.fill("#id_given_name", "Әлия")
        page.fill("#id_family_name", "Нұрланқызы")
        page.fill("#id_phone", "8 701 555 12 34")
        page.check("input[name=seat_wanted][value=free]")
        page.check("input[name=circumstances][value=special_needs_child]")
        page.check("#id_kids_room")
        page.select_option("#id_children_count", "1")
        page.fill("#id_children_ages", "4")
        page.check("input[name=contact_channels][value=whatsapp]")
        page.fill("#id_safe_hours_from", "10:00")
        page.fill("#id_safe_hours_to", "13:00")
        page.check("#id_do_not_call")
        assert_no_horizontal_overflow(page)
        _shot(page, "apply-kk")

        # Without the consent: the message sits beside the box; nothing is saved.
        page.click("form.apply button[type=submit]")
        expect(page.locator("#id_consent_error")).to_be_visible()
        expect(page.locator("#id_given_name")).to_have_value("Әлия")
        assert not Participant.objects.filter(phone="+77015551234").exists()
        # The error brought her to the first field that needs her: the consent box.
        expect(page.locator("#id_consent")).to_be_focused()
        _shot(page, "apply-errors-kk", full_page=False)

        page.check("#id_consent")
        page.click("form.apply button[type=submit]")
        expect(page).to_have_url(f"{base}/courses/{run.pk}/applied/")
        expect(page.locator("main h1")).to_be_visible()
        assert_no_horizontal_overflow(page)
        _shot(page, "applied-kk")

        # The whole visit took one place in the history: about:blank, then this site.
        assert page.evaluate("history.length") == 2

        page.click('nav.sitenav a[href="/topics/"]')
        expect(page.locator("main")).to_contain_text("Instagram-да тауар сату")
        assert_no_horizontal_overflow(page)
        _shot(page, "topics-kk")

        # Now registered, she votes for a topic with her phone.
        page.locator("li.topic", has_text="Instagram-да тауар сату").locator("a").click()
        page.fill("#id_phone", "+7 701 555 12 34")
        assert_no_horizontal_overflow(page)
        _shot(page, "topic-vote-kk")
        page.click("main form button[type=submit]")
        expect(page).to_have_url(f"{base}/topics/?done=vote")
        expect(page.locator("main [role=status]")).to_be_visible()
        _shot(page, "topics-voted-kk")

        page.click('nav.sitenav a[href="/safety/"]')
        assert_no_horizontal_overflow(page)
        _shot(page, "safety-kk")
        assert page.evaluate("history.length") == 2
        assert page.foreign_requests == []  # type: ignore[attr-defined]
    except BaseException:
        _shot(page, "failure-woman")
        raise
    finally:
        context.close()

    her = Participant.objects.get(phone="+77015551234")
    assert (her.given_name, her.family_name, her.phone) == ("Әлия", "Нұрланқызы", "+77015551234")
    assert (her.language, her.status, her.do_not_call) == ("kk", "applicant", True)
    application = Application.objects.get()
    assert (application.seat_wanted, application.children_count) == ("free", 1)
    voted = TopicRequest.objects.get(title="Instagram-да тауар сату")
    assert topics.count_pending_votes() == 1  # the tick counts the vote she sent
    assert list(voted.votes.values_list("participant_id", flat=True)) == [her.pk]

    # The coordinator, on her own phone, finds the application.
    context, page = _phone(chromium, base, locale="en-US")
    try:
        log_in_with_browser(page, base, personas["coordinator"], PASSWORD)
        page.goto(f"{base}/staff/applications/")
        entry = page.locator("ul.applications li", has_text="Нұрланқызы Әлия")
        expect(entry).to_be_visible()
        expect(entry).to_contain_text("Free place asked")
        expect(entry).to_contain_text("Mother of a child with special needs")
        assert_no_horizontal_overflow(page)
        _shot(page, "staff-applications")
        entry.locator("a").first.click()
        expect(page).to_have_url(f"{base}/participants/{her.pk}/")
        expect(page.locator("main h1")).to_contain_text("Нұрланқызы")

        # Topics by votes: hers first.
        page.goto(f"{base}/staff/topics/")
        expect(page.locator("ul.topics li").first).to_contain_text("Instagram-да тауар сату")
        expect(page.locator("ul.topics li").first).to_contain_text("1 vote")
        assert_no_horizontal_overflow(page)
        _shot(page, "staff-topics")
    except BaseException:
        _shot(page, "failure-coordinator")
        raise
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_quick_exit_leaves_at_once_and_back_does_not_return(
    chromium: Browser, live_server: Any, catalogue: dict[str, Run]
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    run = catalogue["business"]
    context, page = _phone(chromium, base)
    try:
        # A click on the button, after moving around the site.
        page.goto(f"{base}/")
        page.click(f'main h3 a[href="/courses/{run.pk}/"]')
        expect(page).to_have_url(f"{base}/courses/{run.pk}/")
        page.click("#quick-exit")
        expect(page).to_have_url(safety.QUICK_EXIT_URL)
        expect(page.locator("h1")).to_have_text("Погода в Алматы")
        page.go_back()
        assert not page.url.startswith(base), f"Back returned to {page.url}"
        assert page.url == "about:blank"

        # Shift three times, from the middle of the application form.
        page.goto(f"{base}/courses/{run.pk}/apply/")
        page.click("#id_given_name")
        # Capital letters typed with Shift are not the shortcut.
        for key in ("Shift+KeyA", "Shift+KeyL", "Shift+KeyI"):
            page.keyboard.press(key)
        page.wait_for_timeout(300)
        expect(page).to_have_url(f"{base}/courses/{run.pk}/apply/")
        for _ in range(3):
            page.keyboard.press("Shift")
        expect(page).to_have_url(safety.QUICK_EXIT_URL)
        page.go_back()
        assert not page.url.startswith(base), f"Back returned to {page.url}"
        assert page.foreign_requests == []  # type: ignore[attr-defined]
    except BaseException:
        _shot(page, "failure-quick-exit")
        raise
    finally:
        context.close()

    # Without JavaScript the button is still a plain link to the neutral site.
    context = chromium.new_context(viewport=VIEWPORT, java_script_enabled=False)
    context.route(
        f"{safety.QUICK_EXIT_URL}**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE),
    )
    try:
        page = context.new_page()
        page.goto(f"{base}/")
        page.click("#quick-exit")
        expect(page).to_have_url(safety.QUICK_EXIT_URL)
    finally:
        context.close()
