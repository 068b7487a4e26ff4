"""Leaving the site in a hurry.

The quick-exit button sends the page to a neutral, everyday site (the weather), replacing
the current history entry so that "Back" does not return here. The button is a plain link
first (it works without JavaScript); static/public/quick-exit.js adds the replacement, the
Shift-three-times shortcut, and keeps the whole visit to one history entry.
"""

from __future__ import annotations

QUICK_EXIT_URL = "https://www.gismeteo.kz/"
