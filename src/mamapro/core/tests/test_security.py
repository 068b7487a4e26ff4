"""Log-in hardening: the throttle per name and address with a cool-off, idle sessions, the
Content-Security-Policy on every response, and `check --deploy` clean in production."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.core import security
from mamapro.core.models import LoginFailure

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
SRC = Path(__file__).resolve().parents[2]


def _attempt(client, username: str, password: str, ip: str = "10.0.0.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


class TestThrottle:
    def test_five_failures_make_the_name_at_that_address_wait(self, client, personas) -> None:
        for _ in range(security.LOGIN_FAILURE_LIMIT):
            response = _attempt(client, "coordinator", "wrong-password-123")
            assert "Too many failed attempts" not in response.content.decode()
        # Even the right password is not checked while the pair cools off.
        response = _attempt(client, "Coordinator ", PASSWORD)
        assert response.status_code == 200
        assert (
            "Too many failed attempts. Wait 15 minutes and try again." in response.content.decode()
        )
        assert "_auth_user_id" not in client.session

    def test_no_one_else_is_locked_out(self, client, personas) -> None:
        for _ in range(security.LOGIN_FAILURE_LIMIT + 3):
            _attempt(client, "coordinator", "wrong-password-123", ip="203.0.113.9")
        # She, on her own phone, logs in as usual: the abuser's address does not lock her.
        assert _attempt(client, "coordinator", PASSWORD, ip="10.0.0.7").status_code == 302
        client.logout()
        # Another name at the abuser's address is not affected either.
        assert _attempt(client, "tutor", PASSWORD, ip="203.0.113.9").status_code == 302

    def test_the_cool_off_passes_and_success_clears_the_count(self, client, personas) -> None:
        for _ in range(security.LOGIN_FAILURE_LIMIT):
            _attempt(client, "coordinator", "wrong-password-123")
        assert _attempt(client, "coordinator", PASSWORD).status_code == 200
        LoginFailure.objects.update(at=timezone.now() - security.LOGIN_COOL_OFF)
        assert _attempt(client, "coordinator", PASSWORD).status_code == 302
        assert LoginFailure.objects.count() == 0


def test_the_throttle_keeps_no_typed_name(client, personas) -> None:
    """What was typed (a name, maybe a password typed into the wrong box) is kept only as a
    keyed digest, and only for the throttle."""
    _attempt(client, "Әсел Қасымова +77015550100", "wrong-password-123")
    _attempt(client, "coordinator", "wrong-password-123")
    stored = repr(list(LoginFailure.objects.values_list("username_key", flat=True)))
    for typed in ("Әсел", "әсел", "77015550100", "coordinator"):
        assert typed not in stored
    assert LoginFailure.objects.filter(username_key=security._key("COORDINATOR ")).exists()

    def test_wait_left_counts_down_from_the_last_failure(self) -> None:
        now = timezone.now()
        for minutes in (10, 8, 6, 4, 2):
            security.record_failure("Ана", "10.0.0.1", now=now - dt.timedelta(minutes=minutes))
        left = security.wait_left("ана", "10.0.0.1", now=now)
        assert left == security.LOGIN_COOL_OFF - dt.timedelta(minutes=2)
        assert security.wait_left("ана", "10.0.0.2", now=now) is None


def test_an_idle_session_ends(client, personas) -> None:
    # The manager's role needs no second step: the password alone logs her in.
    assert _attempt(client, "manager", PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[security.SEEN_KEY] = (timezone.now() - dt.timedelta(minutes=31)).isoformat()
    session.save()
    response = client.get(reverse("people:participant_list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/participants/")
    assert "_auth_user_id" not in client.session


def test_an_active_session_stays(client, personas) -> None:
    assert _attempt(client, "manager", PASSWORD).status_code == 302
    session = client.session
    session[security.SEEN_KEY] = (timezone.now() - dt.timedelta(minutes=29)).isoformat()
    session.save()
    assert client.get(reverse("home")).status_code == 200
    # The page counted as activity: the clock starts again.
    seen = dt.datetime.fromisoformat(client.session[security.SEEN_KEY])
    assert timezone.now() - seen < dt.timedelta(minutes=1)


@pytest.mark.parametrize("path", ["/", "/login/", "/staff/", "/api/v1/centres", "/healthz"])
def test_every_response_carries_the_content_security_policy(client, path: str) -> None:
    policy = client.get(path)["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_no_template_has_inline_script_style_or_handlers() -> None:
    problems = []
    for path in SRC.rglob("templates/**/*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0) and "application/json" not in match.group(0):
                problems.append(f"{path}: inline <script>")
        if re.search(r"<style\b", text):
            problems.append(f"{path}: <style>")
        if re.search(r"\sstyle=\"", text):
            problems.append(f"{path}: style attribute")
        if re.search(r"\son[a-z]+=\"", text):
            problems.append(f"{path}: inline event handler")
    assert not problems, problems


def test_check_deploy_is_clean_with_production_settings(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MAMAPRO_TESTING"}}
    env.update(
        MAMAPRO_VAR_DIR=str(tmp_path),
        DEBUG="false",
        HTTPS="true",
        SECRET_KEY="p" + os.urandom(32).hex(),
        ALLOWED_HOSTS="mamapro.kz",
        CSRF_TRUSTED_ORIGINS="https://mamapro.kz",
        DATABASE_URL="postgres://mamapro:secret@db.internal:5432/mamapro",
        DATA_KEYS="R4oU2uN0mXc7lq3wJ0WZQm9b8lq1H2m7yYQm2wKcQ1Q=",
        AUDIT_KEY="q" + os.urandom(24).hex(),
    )
    result = subprocess.run(
        [sys.executable, "-m", "mamapro.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("4815162342", "entirely numeric"),
        ("coordinator2026", "too similar"),
    ],
)
def test_weak_passwords_are_refused(personas, password: str, problem: str) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        validate_password(password, personas["coordinator"])
    assert problem in " ".join(caught.value.messages)


def test_the_absolute_session_limit_counts_from_log_in(client, personas) -> None:
    """Busy all day (never idle), she is still logged out 8 hours after her log-in: pages
    renew the idle clock, never the log-in time."""
    assert _attempt(client, "manager", PASSWORD).status_code == 302
    started = client.session[security.LOGIN_AT_KEY]
    session = client.session
    login_at = timezone.now() - dt.timedelta(hours=7, minutes=50)
    session[security.LOGIN_AT_KEY] = login_at.isoformat()
    session.save()
    assert client.get(reverse("home")).status_code == 200
    # The page was activity: the idle clock moved, the log-in time did not.
    assert client.session[security.LOGIN_AT_KEY] == login_at.isoformat() != started
    session = client.session
    session[security.LOGIN_AT_KEY] = (timezone.now() - dt.timedelta(hours=8, minutes=1)).isoformat()
    session[security.SEEN_KEY] = timezone.now().isoformat()  # active a minute ago
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_a_session_without_its_log_in_time_ends(client, personas) -> None:
    assert _attempt(client, "manager", PASSWORD).status_code == 302
    session = client.session
    del session[security.LOGIN_AT_KEY]
    session.save()
    assert client.get(reverse("home")).status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ["/", "/login/", "/staff/", "/api/v1/centres", "/healthz"])
def test_every_response_carries_a_strict_permissions_policy(client, path: str) -> None:
    policy = client.get(path)["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


def test_api_answers_are_never_stored(client, personas, token_for) -> None:
    headers = token_for(personas["coordinator"])
    for path in ("/api/v1/centres", "/api/v1/participants", "/api/v1/nothing-here"):
        response = client.get(path, headers=headers)
        assert "no-store" in _cache_control(response), (path, response.status_code)
    # A refusal too (no token): nothing of the API is kept anywhere.
    assert "no-store" in _cache_control(client.get("/api/v1/participants"))


def test_signed_in_pages_are_never_stored(client, personas, survivor) -> None:
    client.force_login(personas["coordinator"])
    for path in (
        reverse("home"),
        reverse("people:participant_list"),
        reverse("people:participant_detail", args=[survivor.pk]),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert {"no-store", "private"} <= _cache_control(response), path


def test_static_files_keep_their_caching(client) -> None:
    response = client.get("/static/mamapro/favicon.svg")
    assert response.status_code == 200
    assert "no-store" not in _cache_control(response)
