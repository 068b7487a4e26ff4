"""Settings read from the environment fail loudly, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from mamapro.conf import env_bool, env_int, env_list


def test_env_bool_accepts_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("true", True), ("Yes", True), ("off", False), ("0", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert env_bool("X_FLAG", not expected) is expected


def test_env_bool_rejects_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        env_bool("DEBUG", False)


def test_env_int_and_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGE_SIZE", "ten")
    with pytest.raises(ImproperlyConfigured, match="PAGE_SIZE='ten' is not a whole number"):
        env_int("PAGE_SIZE", 25)
    monkeypatch.setenv("PAGE_SIZE", "2")
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 5"):
        env_int("PAGE_SIZE", 25, minimum=5)
    monkeypatch.setenv("ALLOWED_HOSTS", " a.kz, b.kz ,")
    assert env_list("ALLOWED_HOSTS", []) == ["a.kz", "b.kz"]
    monkeypatch.setenv("ALLOWED_HOSTS", " , ")
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS is set but lists nothing"):
        env_list("ALLOWED_HOSTS", [])


def _load_settings(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}
    }
    clean.update(env, MAMAPRO_VAR_DIR=str(tmp_path))
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import mamapro.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_secret_key_is_required_with_a_database_url(tmp_path) -> None:
    result = _load_settings(tmp_path, DATABASE_URL="postgres://u@localhost/x")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DATABASE_URL is set" in result.stderr


def test_local_demo_generates_and_keeps_a_secret_key(tmp_path) -> None:
    assert _load_settings(tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert _load_settings(tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_unsupported_database_url_names_the_problem(tmp_path) -> None:
    result = _load_settings(tmp_path, DATABASE_URL="mysql://root@localhost/x", SECRET_KEY="k" * 40)
    assert result.returncode != 0
    assert "only PostgreSQL and SQLite are supported" in result.stderr


def test_bad_debug_value_stops_start_up(tmp_path) -> None:
    result = _load_settings(tmp_path, DEBUG="sometimes")
    assert result.returncode != 0
    assert "DEBUG='sometimes' is not a boolean" in result.stderr


def test_sqlite_default_takes_the_write_lock_up_front(tmp_path) -> None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the suite runs on PostgreSQL")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


def test_data_keys_are_required_with_a_database_url(tmp_path) -> None:
    result = _load_settings(
        tmp_path, DATABASE_URL="postgres://u@localhost/x", SECRET_KEY="s" * 40, MAMAPRO_TESTING="0"
    )
    assert result.returncode != 0
    assert "DATA_KEYS is required when DATABASE_URL is set" in result.stderr


def test_a_bad_data_key_is_named(tmp_path) -> None:
    result = _load_settings(tmp_path, DATA_KEYS="R4oU2uN0mXc7lq3wJ0WZQm9b8lq1H2m7yYQm2wKcQ1Q=,nope")
    assert result.returncode != 0
    assert "DATA_KEYS: key 2 is not a Fernet key" in result.stderr


def test_https_is_required_with_a_database_url(tmp_path) -> None:
    production = {
        "DATABASE_URL": "postgres://u@localhost/x",
        "SECRET_KEY": "s" * 40,
        "DATA_KEYS": "R4oU2uN0mXc7lq3wJ0WZQm9b8lq1H2m7yYQm2wKcQ1Q=",
        "AUDIT_KEY": "a" * 40,
        "MAMAPRO_TESTING": "0",
    }
    result = _load_settings(tmp_path, **production)
    assert result.returncode != 0
    assert "HTTPS=true is required when DATABASE_URL is set" in result.stderr
    assert _load_settings(tmp_path, **production, HTTPS="false").returncode != 0
    assert _load_settings(tmp_path, **production, HTTPS="true").returncode == 0, result.stderr


def test_var_files_are_owner_only(tmp_path) -> None:
    """var/, its private files directory, the keys and the SQLite database with its -wal and
    -shm files: nobody but the account running the app may read them."""
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    # Modes are read while the connection is open: SQLite removes -wal when the last closes.
    code = (
        "import django, os; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('CREATE TABLE t (x int)'); c.execute('INSERT INTO t VALUES (1)')\n"
        "name = connection.settings_dict['NAME']\n"
        "for suffix in ('', '-wal', '-shm'):\n"
        "    print(suffix or 'db', oct(os.stat(name + suffix).st_mode & 0o777))\n"
        "with open(os.path.join(os.path.dirname(name), 'written-later'), 'w') as fh:\n"
        "    fh.write('x')\n"
        "print(name)\n"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "DATA_KEYS", "AUDIT_KEY", "MAMAPRO_TESTING"}
    }
    clean.update(MAMAPRO_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="mamapro.settings")
    old = os.umask(0o022)  # what a usual shell hands over
    try:
        result = subprocess.run(  # noqa: S603 (our own interpreter, fixed code)
            [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=False
        )
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    database = result.stdout.strip().splitlines()[-1]
    assert database == str(var / "mamapro.sqlite3")

    def mode(path) -> int:
        return path.stat().st_mode & 0o777

    assert mode(var) == 0o700
    assert mode(var / "private") == 0o700
    for name in ("secret_key", "data_keys", "audit_key", "mamapro.sqlite3", "written-later"):
        assert mode(var / name) == 0o600, name
    lines = result.stdout.strip().splitlines()
    assert lines[:3] == ["db 0o600", "-wal 0o600", "-shm 0o600"], lines


def test_an_existing_wider_key_file_is_narrowed(tmp_path) -> None:
    (tmp_path / "secret_key").write_text("k" * 60)
    (tmp_path / "secret_key").chmod(0o644)
    assert _load_settings(tmp_path).returncode == 0
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SMS_PROVIDER_TIME_ZONE", "Asia/Nowhere"),
        ("SMS_PART_PRICE_KZT", "twelve"),
        ("SMS_PART_PRICE_KZT", "-1"),
        ("NOTIFY_REMINDER_HOUR", "24"),
        ("SMS_RATE_PER_SECOND", "0"),
        ("NOTIFY_LEASE_SECONDS", "5"),
    ],
)
def test_a_bad_message_setting_stops_start_up_naming_it(tmp_path, variable, value) -> None:
    result = _load_settings(tmp_path, **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
