"""AUDIT_KEY: required with DATABASE_URL, generated owner-only under var/ for the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from mamapro.core.audit_key import audit_key_from_env, local_audit_key

DROPPED = {"DATABASE_URL", "AUDIT_KEY", "MAMAPRO_TESTING", "SECRET_KEY", "DATA_KEYS"}


def _load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in DROPPED}
    clean.update(env, MAMAPRO_VAR_DIR=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-c", "import mamapro.settings as s; print(len(s.AUDIT_KEY))"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_deployment_must_set_the_audit_key(tmp_path: Path) -> None:
    deployment = {
        "DATABASE_URL": "postgres://u@localhost/x",
        "SECRET_KEY": "s" * 50,
        "DATA_KEYS": Fernet.generate_key().decode(),
        "HTTPS": "true",
        "ALLOWED_HOSTS": "centre.example.kz",
    }
    result = _load_settings(tmp_path, **deployment)
    assert result.returncode != 0
    assert "AUDIT_KEY is required when DATABASE_URL is set" in result.stderr
    assert not (tmp_path / "audit_key").exists()
    result = _load_settings(tmp_path, **deployment, AUDIT_KEY="k" * 40)
    assert (result.returncode, result.stdout.strip()) == (0, "40"), result.stderr


def test_the_demo_generates_one_key_owner_only(tmp_path: Path) -> None:
    key = local_audit_key(tmp_path)
    assert len(key) >= 32
    assert (tmp_path / "audit_key").stat().st_mode & 0o077 == 0
    assert local_audit_key(tmp_path) == key
    assert audit_key_from_env(tmp_path, required=False) in {key, os.environ.get("AUDIT_KEY")}


def test_a_short_key_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDIT_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match="AUDIT_KEY must be at least 32 characters"):
        audit_key_from_env(tmp_path, required=True)
