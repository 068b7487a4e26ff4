"""The second step of logging in: required for roles that see sensitive data, set up once
with an authenticator app, one use per code, never needed for the API's tokens."""

from __future__ import annotations

import base64
import re

import pytest
from django.urls import reverse

from mamapro.conftest import totp_code
from mamapro.core import two_factor
from mamapro.core.models import AuditEntry, TOTPDevice

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
    assert secret.rstrip("=")
    assert base64.b32decode(secret) == device.bin_key  # the secret shown is the device's
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


def _ip_code(client, code: str, ip: str):
    return client.post(reverse("two_factor"), {"code": code}, REMOTE_ADDR=ip)


def _password_at(client, username: str, ip: str):
    return client.post(
        reverse("login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR=ip
    )


def test_wrong_codes_make_only_that_address_wait_and_never_longer(client, personas) -> None:
    """Someone with her password, at another address, sends wrong codes without end: his wait
    is capped at the cool-off, and she, at her own address, still gets in with her code."""
    from django.test import Client

    from mamapro.core import security

    coordinator = personas["coordinator"]
    code = totp_code(coordinator)
    abuser = Client(headers={"Accept-Language": "en"})
    _password_at(abuser, "coordinator", "203.0.113.9")
    for _ in range(security.LOGIN_FAILURE_LIMIT):
        page = _ip_code(abuser, "000000", "203.0.113.9").content.decode()
        assert "This code is not right" in page
    for _ in range(20):
        page = _ip_code(abuser, "000000", "203.0.113.9").content.decode()
        assert "Too many failed attempts. Wait 15 minutes and try again." in page
    # Twenty more tries did not make the wait grow: still at most the cool-off.
    left = security.code_wait_left(coordinator.pk, "203.0.113.9")
    assert left is not None
    assert left <= security.LOGIN_COOL_OFF
    # Even the right code is not checked there while it cools off.
    assert _ip_code(abuser, code, "203.0.113.9").status_code == 200
    assert two_factor.VERIFIED_KEY not in abuser.session

    _password_at(client, "coordinator", "10.0.0.7")
    response = _ip_code(client, code, "10.0.0.7")
    assert response.status_code == 302
    assert client.session[two_factor.VERIFIED_KEY]


def test_the_code_wait_passes(client, personas) -> None:
    from django.utils import timezone

    from mamapro.core import security
    from mamapro.core.models import LoginFailure

    coordinator = personas["coordinator"]
    _password_at(client, "coordinator", "10.0.0.7")
    for _ in range(security.LOGIN_FAILURE_LIMIT):
        _ip_code(client, "000000", "10.0.0.7")
    assert security.code_wait_left(coordinator.pk, "10.0.0.7") is not None
    LoginFailure.objects.update(at=timezone.now() - security.LOGIN_COOL_OFF)
    assert _ip_code(client, totp_code(coordinator), "10.0.0.7").status_code == 302
    assert security.code_wait_left(coordinator.pk, "10.0.0.7") is None


def test_the_secret_is_encrypted_at_rest(personas) -> None:
    from django.db import connection

    device = TOTPDevice.objects.create(user=personas["coordinator"], name="phone")
    secret_hex = TOTPDevice.objects.get(pk=device.pk).key
    assert len(secret_hex) == 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_totpdevice")
        raw = repr(cursor.fetchall())
    assert secret_hex not in raw
    assert secret_hex.upper() not in raw
    assert "enc:" in raw


def test_the_migration_moves_clear_devices_and_drops_their_table(personas) -> None:
    """A database set up with django-otp's own TOTP table: its devices move over, encrypted,
    and the table with the clear secrets is gone."""
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    migration = import_module("mamapro.core.migrations.0006_totp_device")
    secret = "3132333435363738393031323334353637383930"
    user = personas["director"]
    editor = connection.schema_editor(atomic=False)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_totp_totpdevice (id integer PRIMARY KEY, user_id bigint, "
            "name varchar(64), confirmed boolean, key varchar(80), step smallint, t0 bigint, "
            "digits smallint, tolerance smallint, drift smallint, last_t bigint, "
            "throttling_failure_count integer)"
        )
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES (7, %s, 'phone', %s, %s, 30, 0, 6, 1, 0, 5, 3)",
            [user.pk, True, secret],
        )
    migration.move_devices(apps, editor)
    moved = TOTPDevice.objects.get(user=user)
    assert (moved.key, moved.name, moved.confirmed, moved.last_t) == (secret, "phone", True, 5)
    with connection.cursor() as cursor:
        assert "otp_totp_totpdevice" not in connection.introspection.table_names(cursor)
        cursor.execute("SELECT key FROM core_totpdevice")
        assert secret not in repr(cursor.fetchall())


def test_two_requests_cannot_use_one_code(personas) -> None:
    device = TOTPDevice.objects.create(user=personas["coordinator"], name="phone")
    code = device.current_code()
    assert two_factor._verify(device, code)
    assert not two_factor._verify(TOTPDevice.objects.get(pk=device.pk), code)
