"""A trainer takes the roll call for twenty women on her phone: one tap each, one submit.

Drives Debian's Chromium through Playwright at a 390-px-wide phone viewport against the live
server, as core/tests/test_browser.py does (same skip rule: skipped without the browser, a
failure under CI=true). Leaves screenshots in test-artifacts/ to look at.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from mamapro.browser import PHONE_VIEWPORT, assert_no_horizontal_overflow
from mamapro.core.models import User
from mamapro.people import services as people
from mamapro.programs.models import Attendance
from mamapro.programs.tests.attendance_world import add_sessions, enroll_before_start, mark

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser

VIEWPORT: ViewportSize = {"width": PHONE_VIEWPORT["width"], "height": PHONE_VIEWPORT["height"]}
PASSWORD = "a-long-test-password"
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"

NAMES = [
    ("Әсел", "Қасымова", "Ерланқызы"),
    ("Айгүл", "Оспанова", ""),
    ("Гүлнар", "Сейітова", "Маратқызы"),
    ("Мадина", "Ахметова", ""),
    ("Жанар", "Нұрланова", ""),
    ("Ольга", "Ким", "Викторовна"),
    ("Динара", "Абдрахманова", "Серікқызы"),
    ("Светлана", "Иваненко", "Петровна"),
    ("Ақмарал", "Жұмабаева", ""),
    ("Сәуле", "Төлеуова", ""),
    ("Анар", "Бекова", ""),
    ("Индира", "Қуанышбекова", "Болатқызы"),
    ("Наталья", "Ли", ""),
    ("Айжан", "Смағұлова", ""),
    ("Маржан", "Есенова", ""),
    ("Райхан", "Ізбасарова", ""),
    ("Гүлмира", "Ибрагимова", "Асқарқызы"),
    ("Елена", "Цой", "Александровна"),
    ("Зарина", "Уәлиханова", ""),
    ("Баян", "Сұлтанова", ""),
]


def _screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def _plan(i: int) -> str:
    return {3: "late", 11: "late", 7: "excused", 15: "absent"}.get(i, "present")


@pytest.mark.django_db(transaction=True)
def test_trainer_takes_roll_call_for_twenty_women_on_a_phone(
    browser_page: Page,
    live_server: Any,
    personas: dict[str, User],
    make_run: Any,
    make_participant: Any,
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    trainer = personas["trainer"]
    trainer.language = "en"
    trainer.first_name, trainer.last_name = "Дана", "Әлімова"
    trainer.save(update_fields=["language", "first_name", "last_name"])
    run = make_run(
        starts_in=-7,
        days=28,
        trainer=trainer,
        title="Компьютерная грамотность",
        paid_seats=10,
        free_seats=10,
    )
    women = [
        make_participant(
            given_name=given, family_name=family, patronymic=patronymic, phone=f"+7701700{i:04d}"
        )
        for i, (given, family, patronymic) in enumerate(NAMES)
    ]
    # Ten bought a seat; ten have a free one for a verified circumstance.
    for woman in women[10:]:
        people.update_participant(
            woman, data={}, circumstances=["stay_at_home"], eligibility_verified=True
        )
    enroll_before_start(run, women[:10], "paid")
    enroll_before_start(run, women[10:], "free")
    # Last week's session was recorded; today's started twenty minutes ago.
    (last_week,) = add_sessions(run, [-7])
    mark(last_week, dict.fromkeys(women, "present"))
    start = timezone.now() - dt.timedelta(minutes=20)
    (today,) = add_sessions(run, [(start - timezone.now()).total_seconds() / 86400])
    base = live_server.url
    try:
        page.goto(f"{base}/login/")
        page.fill("#id_username", trainer.username)
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        expect(page).to_have_url(f"{base}/staff/")

        # Her sessions: today's first.
        page.goto(f"{base}/roll-call/")
        assert_no_horizontal_overflow(page)
        page.click(f'a[href="/sessions/{today.pk}/roll-call/"]')
        expect(page).to_have_url(f"{base}/sessions/{today.pk}/roll-call/")
        expect(page.locator("main h1")).to_have_text("Компьютерная грамотность")
        rows = page.locator(".rc-row")
        expect(rows).to_have_count(20)
        assert_no_horizontal_overflow(page)

        # Big tap targets, four side by side, inside the screen.
        for box in [page.locator(".seg label").nth(i).bounding_box() for i in range(4)]:
            assert box is not None
            assert box["height"] >= 44, box
            assert box["width"] >= 70, box
            assert box["x"] + box["width"] <= VIEWPORT["width"]
        # The one submit stays in reach at the bottom of the screen before any scrolling.
        submit = page.locator(".rc-submit button[type=submit]")
        expect(submit).to_be_in_viewport()
        assert page.locator("main button[type=submit]").count() == 1
        _screenshot(page, "roll-call-390-start", full_page=False)

        # One tap per woman.
        for i, woman in enumerate(women):
            page.locator(f'label[for="m{woman.pk}-{_plan(i)}"]').tap()
        checked = page.evaluate("document.querySelectorAll('.seg input:checked').length")
        assert checked == 20
        expect(page.locator(".rc-row:not(:has(input:checked))")).to_have_count(0)
        assert_no_horizontal_overflow(page)
        _screenshot(page, "roll-call-390")

        submit.tap()
        expect(page).to_have_url(f"{base}/sessions/{today.pk}/roll-call/")
        expect(page.locator(".messages .msg").first).to_have_text("Roll call saved.")
        expect(page.locator(".messages")).not_to_contain_text("not marked yet")
        assert_no_horizontal_overflow(page)
        _screenshot(page, "roll-call-390-saved", full_page=False)

        saved = dict(
            Attendance.objects.filter(session=today).values_list(
                "enrollment__participant_id", "status"
            )
        )
        assert saved == {w.pk: _plan(i) for i, w in enumerate(women)}
        # The page comes back with every mark in place.
        checked = page.evaluate("document.querySelectorAll('.seg input:checked').length")
        assert checked == 20
    except BaseException:
        # Best effort: never hide the real failure.
        with contextlib.suppress(Exception):
            _screenshot(page, "test_trainer_takes_roll_call_for_twenty_women_on_a_phone")
        raise
