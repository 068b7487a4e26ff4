"""Debian's Chromium for the browser test and the screenshot script.

Playwright never downloads a browser here: it drives /usr/bin/chromium with flags that keep
it off the network (the machine's network is closed and Chromium would keep trying).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A phone: the coordinator between classes, the trainer at roll call.
PHONE_VIEWPORT = {"width": 390, "height": 844}


def unavailable() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    if not CHROMIUM.is_file():
        return f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"browser tests need the Python playwright package ({exc}); pip install -e '.[test]'"
    return None


def assert_no_horizontal_overflow(page: Any) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    limit = PHONE_VIEWPORT["width"]
    assert width <= limit, f"{page.url} is {width}px wide at a {limit}px viewport"
