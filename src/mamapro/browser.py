"""Debian's Chromium for the browser test and the screenshot script.

Playwright never downloads a browser here: it drives /usr/bin/chromium with flags that keep
it off the network (the machine's network is closed and Chromium would keep trying).
"""

from __future__ import annotations

from pathlib import Path

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
