#!/usr/bin/env python3
"""Screenshots of the main pages for every demo login in every language, at a phone's width.

Start the demo first (`./mamapro demo --port 8765`), then:

    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8765]
        [--participant ID] [--child ID] [--logins director,tutor] [--langs kk,ru,en]

Saves test-artifacts/screens/<login>-<lang>-<page>.png (full page, 390x844 viewport) for the
pages home, participants (the list), survivor (a domestic-violence survivor with children) and
child (her first child), 403s and 404s included, and writes test-artifacts/screens/report.json
with what each page showed: the HTTP status, horizontal overflow, and whether the confidential
section, the survivor's IIN or safe-contact note, the domestic-violence label, the restricted
adult or the child's needs card appeared on it. Without --participant, the survivor is found
by the coordinator: the first participant whose confidential section lists domestic violence
and who has a child.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright; never downloads a browser.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from mamapro.browser import CHROMIUM, CHROMIUM_ARGS, PHONE_VIEWPORT
from mamapro.demo.logins import DEMO_PASSWORD
from mamapro.demo.logins import LOGINS as DEMO_LOGINS

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "test-artifacts" / "screens"
VIEWPORT = PHONE_VIEWPORT
PASSWORD = DEMO_PASSWORD
LOGINS = [login.username for login in DEMO_LOGINS if not login.superuser]
LANGS = ["kk", "ru", "en"]


@dataclass
class Secrets:
    """What only the care team may see about the survivor, read as the coordinator."""

    participant: int
    child: int
    name: str = ""
    iin: str = ""
    phone: str = ""
    safe_note: str = ""
    restricted_adult: str = ""
    restricted_note: str = ""
    dv_labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Shot:
    login: str
    lang: str
    page: str
    url: str
    status: int
    file: str
    overflow_px: int
    wide_elements: list[str]
    seen: dict[str, bool]


def _text(html_fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", html_fragment)).strip()


def log_in(context: BrowserContext, base: str, username: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    if "/login/2fa/" in page.url:
        # The demo's devices show their current code on the page (demo data only).
        found = re.search(r"(\d{6})\.", page.inner_text(".notice"))
        if found is None:
            raise SystemExit(f"{username} needs a second step and no demo code is shown")
        page.fill("#id_code", found.group(1))
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    if "/login/" in page.url:
        raise SystemExit(f"could not log in as {username} (is the demo data loaded?)")
    return page


def switch_language(page: Page, base: str, lang: str) -> None:
    """Choose `lang` in the header's select, as a person would (it submits on change).

    Submitted even when the select already shows `lang` (the browser's Accept-Language may be
    what chose it), so that the choice is saved for her and for requests outside the page.
    """
    if page.locator("#language-switch").count() == 0:
        page.goto(f"{base}/staff/")
    select = page.locator("#language-switch")
    with page.expect_navigation():
        if select.input_value() == lang:
            select.evaluate("el => el.form.submit()")
        else:
            select.select_option(lang)
    page.wait_for_load_state("load")
    actual = page.locator("#language-switch").input_value()
    if actual != lang:
        raise SystemExit(f"language switch to {lang} did not stick (page says {actual})")


def _confidential_html(body: str) -> str:
    match = re.search(r'<section class="card sensitive".*?</section>', body, re.S)
    return match.group(0) if match else ""


def find_survivor(context: BrowserContext, base: str, max_pages: int = 20) -> tuple[int, int]:
    """As the coordinator (English UI), a DV survivor with a child: (participant, child).

    One with an IIN on file is preferred, so the screenshots can show it is not leaked.
    """
    seen: set[int] = set()
    fallback: tuple[int, int] | None = None
    for number in range(1, max_pages + 1):
        listing = context.request.get(f"{base}/participants/?page={number}")
        if not listing.ok:
            break
        ids = [int(i) for i in re.findall(r'href="/participants/(\d+)/"', listing.text())]
        fresh = [i for i in ids if i not in seen]
        if not fresh:
            break
        for pk in fresh:
            seen.add(pk)
            body = context.request.get(f"{base}/participants/{pk}/").text()
            confidential = _text(_confidential_html(body))
            child = re.search(r'href="/children/(\d+)/"', body)
            if "domestic violence" not in confidential.lower() or not child:
                continue
            if re.search(r"\b\d{12}\b", confidential):
                return pk, int(child.group(1))
            fallback = fallback or (pk, int(child.group(1)))
    if fallback is None:
        raise SystemExit("no domestic-violence survivor with a child; pass --participant/--child")
    return fallback


def read_secrets(page: Page, base: str, participant: int, child: int) -> Secrets:
    """The survivor's sensitive values as the coordinator sees them (language-independent)."""
    secrets = Secrets(participant=participant, child=child)
    page.goto(f"{base}/participants/{participant}/")
    secrets.name = page.locator("main h1").inner_text().strip()
    section = page.locator("section.card.sensitive")
    if section.count():
        for dd_el in section.locator("dl.facts dd").all():
            value = dd_el.inner_text().strip()
            if re.fullmatch(r"\d{12}", value):
                secrets.iin = value
    phone = re.search(r"\+7\d{10}", page.locator("main").inner_text())
    secrets.phone = phone.group(0) if phone else ""
    note = re.search(r"Писать только[^<\n]*", page.content())
    secrets.safe_note = note.group(0).strip() if note else ""
    page.goto(f"{base}/children/{child}/")
    restricted = page.locator("li.restricted")
    if restricted.count():
        line = restricted.first.inner_text()
        # "⛔ Must never receive the child: Name · father\n note"
        after_colon = line.split(":", 1)[-1]
        secrets.restricted_adult = after_colon.split("·", 1)[0].strip()
        small = restricted.first.locator("small")
        secrets.restricted_note = small.inner_text().strip() if small.count() else ""
    return secrets


def circumstance_tags(page: Page, base: str, participant: int) -> list[str]:
    page.goto(f"{base}/participants/{participant}/")
    tags = page.locator("section.card.sensitive dl.facts dd").first.locator(".tag")
    return [t.inner_text().strip() for t in tags.all()]


def overflow(page: Page) -> tuple[int, list[str]]:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """(limit) => Array.from(document.querySelectorAll('body *'))
            .filter(e => { const r = e.getBoundingClientRect();
                           return r.width > 0 && (r.right > limit + 0.5 || r.left < -0.5); })
            .slice(0, 8)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                 (e.className && typeof e.className === 'string' ? '.' + e.className.trim()
                    .replace(/\\s+/g, '.') : '') + ' right=' +
                 Math.round(e.getBoundingClientRect().right))""",
        VIEWPORT["width"],
    )
    return max(0, width - VIEWPORT["width"]), wide


def what_is_seen(page: Page, secrets: Secrets | None) -> dict[str, bool]:
    text = page.locator("body").inner_text()
    seen = {
        "confidential_section": page.locator("section.card.sensitive").count() > 0,
        "restricted_adult_row": page.locator("li.restricted").count() > 0,
        "needs_card": page.locator(".tag[class*='support-']").count() > 0,
        "phone": bool(re.search(r"\+7\d{10}", text)),
    }
    if secrets is not None:
        seen["survivor_phone"] = bool(secrets.phone) and secrets.phone in text
        seen["iin"] = bool(secrets.iin) and secrets.iin in text
        seen["safe_contact_note"] = bool(secrets.safe_note) and secrets.safe_note in text
        seen["restricted_adult_name"] = (
            bool(secrets.restricted_adult) and secrets.restricted_adult in text
        )
        seen["restricted_note"] = bool(secrets.restricted_note) and secrets.restricted_note in text
        seen["domestic_violence_label"] = any(
            label and label.lower() in text.lower() for label in secrets.dv_labels.values()
        )
    return seen


def shoot(
    page: Page, base: str, login: str, lang: str, name: str, path: str, secrets: Secrets | None
) -> Shot:
    response = page.goto(f"{base}{path}")
    status = response.status if response is not None else 0
    page.wait_for_load_state("load")
    file = OUT / f"{login}-{lang}-{name}.png"
    page.screenshot(path=str(file), full_page=True)
    extra, wide = overflow(page)
    return Shot(
        login=login,
        lang=lang,
        page=name,
        url=path,
        status=status,
        file=str(file.relative_to(REPO)),
        overflow_px=extra,
        wide_elements=wide,
        seen=what_is_seen(page, secrets),
    )


def new_context(browser: Browser) -> BrowserContext:
    return browser.new_context(
        viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=1,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765", help="running server")
    parser.add_argument("--participant", type=int, help="id of a DV survivor with children")
    parser.add_argument("--child", type=int, help="id of her child (default: her first)")
    parser.add_argument("--logins", default=",".join(LOGINS), help="comma-separated demo logins")
    parser.add_argument("--langs", default=",".join(LANGS), help="comma-separated: kk,ru,en")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    shots: list[Shot] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            # The coordinator finds the survivor and notes what must stay confidential.
            context = new_context(browser)
            page = log_in(context, base, "coordinator")
            switch_language(page, base, "en")
            participant, child = args.participant, args.child
            if participant is None:
                participant, child = find_survivor(context, base)
            elif child is None:
                body = context.request.get(f"{base}/participants/{participant}/").text()
                found = re.search(r'href="/children/(\d+)/"', body)
                if not found:
                    raise SystemExit(f"participant {participant} has no child; pass --child")
                child = int(found.group(1))
            assert child is not None
            secrets = read_secrets(page, base, participant, child)
            # The domestic-violence label in each language, to look for on other roles' pages.
            english = circumstance_tags(page, base, participant)
            index = next(i for i, t in enumerate(english) if "domestic" in t.lower())
            for lang in LANGS:
                switch_language(page, base, lang)
                secrets.dv_labels[lang] = circumstance_tags(page, base, participant)[index]
            context.close()
            print(f"survivor: participant {participant} ({secrets.name}), child {child}")
            print(f"confidential markers: {json.dumps(asdict(secrets), ensure_ascii=False)}")

            pages = [
                ("home", "/staff/"),
                ("participants", "/participants/"),
                ("survivor", f"/participants/{participant}/"),
                ("child", f"/children/{child}/"),
            ]
            for login in args.logins.split(","):
                context = new_context(browser)
                page = log_in(context, base, login)
                for lang in args.langs.split(","):
                    switch_language(page, base, lang)
                    for name, path in pages:
                        shot = shoot(page, base, login, lang, name, path, secrets)
                        shots.append(shot)
                        flags = " ".join(k for k, v in shot.seen.items() if v) or "-"
                        wide = f" OVERFLOW +{shot.overflow_px}px" if shot.overflow_px else ""
                        print(f"{login:<19} {lang} {name:<12} {shot.status} {flags}{wide}")
                context.close()
        finally:
            browser.close()

    report = OUT / "report.json"
    report.write_text(
        json.dumps(
            {"secrets": asdict(secrets), "shots": [asdict(s) for s in shots]},
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"{len(shots)} screenshots in {OUT}; report in {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
