"""Linking her Telegram on a 390-px phone, in a real browser, in kk, ru and en: the panel on
her page in each state, the one-time link page; nothing wider than the screen, and a
screenshot of each under test-artifacts/screens/ to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from mamapro.browser import assert_no_horizontal_overflow
from mamapro.conftest import log_in_with_browser
from mamapro.notify.fakes.telegram import FakeTelegram
from mamapro.notify.models import TelegramLink
from mamapro.notify.tests import tg_world
from mamapro.people import services as people

pytestmark = pytest.mark.browser
SCREENS = Path(__file__).resolve().parents[4] / "test-artifacts" / "screens"
CHAT = "501234567"


@pytest.mark.django_db(transaction=True)
def test_linking_pages_fit_a_phone_in_every_language(
    browser_page: Any, live_server: Any, personas: dict[str, Any], survivor: Any, settings: Any
) -> None:
    people.record_consent(survivor, kind="data_processing", version="2026-1")
    coordinator = personas["coordinator"]
    page = browser_page
    base = live_server.url
    her_page = base + reverse("people:participant_detail", args=[survivor.pk])
    SCREENS.mkdir(parents=True, exist_ok=True)
    with FakeTelegram() as tg:
        tg_world.point_at(tg, settings)
        log_in_with_browser(page, base, coordinator, "a-long-test-password")
        for lang in ("kk", "ru", "en"):
            TelegramLink.objects.all().delete()
            coordinator.language = lang
            coordinator.save(update_fields=["language"])
            page.goto(her_page)
            assert page.locator("#telegram").is_visible()
            page.locator("#telegram").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENS / f"telegram-none-{lang}.png"), full_page=True)

            page.click("#telegram button[type=submit]")
            link = page.locator("#telegram-link").input_value()
            assert link.startswith("https://t.me/MamaProTestBot?start=")
            assert_no_horizontal_overflow(page)
            page.screenshot(path=str(SCREENS / f"telegram-link-{lang}.png"), full_page=True)

            hook = f"{live_server.url}/hooks/telegram"
            token = link.rsplit("=", 1)[1]
            assert tg.post_update(hook, tg.message_update(CHAT, f"/start {token}"))[0] == 200
            page.goto(her_page)
            assert_no_horizontal_overflow(page)
            page.locator("#telegram").screenshot(path=str(SCREENS / f"telegram-waiting-{lang}.png"))

            pk = TelegramLink.objects.get(revoked_at__isnull=True).pk
            assert tg.post_update(hook, tg.callback_update(CHAT, f"link:yes:{pk}"))[0] == 200
            page.goto(her_page)
            assert_no_horizontal_overflow(page)
            assert CHAT not in page.content()
            page.locator("#telegram").screenshot(path=str(SCREENS / f"telegram-linked-{lang}.png"))
