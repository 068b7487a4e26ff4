"""The second step of logging in: required for roles that see sensitive data, set up once
with an authenticator app, one use per code, never needed for the API's tokens."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from mamapro.conftest import totp_code
from mamapro.core import two_factor
from mamapro.core.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


def _password(client, username: str):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def _code_for(device: TOTPDevice) -> str:
    return two_factor.current_code(device)


def test_the_coordinator_sets_up_her_app_then_enters_codes(client, personas) -> None:
    coordinator = personas["coordinator"]
    _password(client, "coordinator")
    response = client.get(reverse("people:participant_list"))
    assert response.status_code == 302
    assert response["Location"] == "/login/2fa/?next=/participants/"
    page = client.get(response["Location"]).content.decode()
    assert "data:image/svg+xml;base64," in page  # the QR code, drawn on the server
    found = re.search(r'<code class="secret">([A-Z2-7=]+)</code>', page)
    assert found is not None
    secret = found.group(1)
    device = TOTPDevice.objects.get(user=coordinator)
    assert not device.confirmed
    wrong = client.post(reverse("two_factor"), {"code": "000000", "next": "/participants/"})
    assert "This code is not right" in wrong.content.decode()
    assert AuditEntry.objects.filter(
        action="login_failed", details__second_factor="wrong_code"
    ).exists()
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wait after a wrong code is django-otp's own
    device.throttling_failure_timestamp = None
    device.save()
    assert secret.rstrip("=")
    done = client.post(reverse("two_factor"), {"code": _code_for(device), "next": "/participants/"})
    assert done.status_code == 302
    assert done["Location"] == "/participants/"
    assert client.get(reverse("people:participant_list")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed

    # Next time: the code only, no QR code; a code is good once.
    client.logout()
    _password(client, "coordinator")
    page = client.get(reverse("two_factor")).content.decode()
    assert "data:image/svg+xml" not in page
    assert "Enter the six-digit code" in page
    code = totp_code(coordinator)
    assert client.post(reverse("two_factor"), {"code": code}).status_code == 302
    client.logout()
    _password(client, "coordinator")
    again = client.post(reverse("two_factor"), {"code": code})
    assert "This code is not right" in again.content.decode()


@pytest.mark.parametrize(
    ("persona", "needed"),
    [
        ("director", True),
        ("coordinator", True),
        ("tutor", True),
        ("psychologist", True),
        ("manager", False),
        ("comms", False),
        ("trainer", False),
    ],
)
def test_who_needs_the_second_step(personas, persona: str, needed: bool) -> None:
    assert two_factor.required(personas[persona]) is needed


def test_roles_without_sensitive_data_go_straight_in(client, personas) -> None:
    _password(client, "trainer")
    assert client.get(reverse("programs:roll_call_list")).status_code == 200


def test_the_api_token_is_not_asked_for_a_code(client, personas, token_for) -> None:
    response = client.get("/api/v1/participants", headers=token_for(personas["coordinator"]))
    assert response.status_code == 200


def test_next_never_leaves_the_site(client, personas) -> None:
    _password(client, "coordinator")
    code = totp_code(personas["coordinator"])
    response = client.post(reverse("two_factor"), {"code": code, "next": "https://evil.example/"})
    assert response["Location"] == "/staff/"


def test_the_demo_device_shows_its_code(client, personas) -> None:
    device = two_factor.demo_device(personas["coordinator"])
    _password(client, "coordinator")
    page = client.get(reverse("two_factor")).content.decode()
    assert f"the code now is {two_factor.current_code(device)}" in page
