"""The Permissions-Policy is one a browser understands: no feature it cannot parse (Chromium
logs each as an error), and a page cannot reach the camera or her location."""

from __future__ import annotations

from typing import Any

import pytest

from mamapro.core import security


@pytest.mark.django_db(transaction=True)
def test_the_browser_accepts_the_permissions_policy(chromium: Any, live_server: Any) -> None:
    page = chromium.new_page()
    logged: list[str] = []
    page.on("console", lambda msg: logged.append(msg.text))
    response = page.goto(f"{live_server.url}/login/")
    assert response is not None
    assert response.headers["permissions-policy"] == security.PERMISSIONS_POLICY
    # Each feature named is known to the browser and switched off for the page.
    allowed = page.evaluate(
        "() => document.featurePolicy ? document.featurePolicy.allowedFeatures() : null"
    )
    if allowed is not None:
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert feature not in allowed, feature
    problems = [text for text in logged if "Permissions-Policy" in text or "feature" in text]
    assert not problems, problems
    page.close()
