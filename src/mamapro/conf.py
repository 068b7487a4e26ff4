"""Typed settings from the environment that fail loudly on a bad value.

Every reader names the variable and what it expected, so a typo in a deployment stops the
process at start-up instead of surfacing as a strange behaviour days later.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} is set but lists nothing; give comma-separated values.")
    return items


# --- Files the project writes: owner-only ---------------------------------------------------

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """A directory only this account can enter (made if missing, narrowed if it was wider)."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    _narrow(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """An existing file narrowed to owner read/write (no-op when missing or already so)."""
    _narrow(path, PRIVATE_FILE_MODE)


def _narrow(path: Path, mode: int) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if st.st_mode & 0o777 != mode and st.st_uid == os.geteuid():
        path.chmod(mode)


SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")


def sqlite_files_private(sender: object, connection: object, **kwargs: object) -> None:
    """`connection_created`: the SQLite database and its -wal/-shm files are owner-only.

    SQLite makes its -wal and -shm files with the mode of the database file, which a fresh
    file (the test database, a first run) gets from the umask; each new connection narrows all
    of them (a `stat` each, a `chmod` only when one is wider)."""
    if getattr(connection, "vendor", "") != "sqlite":
        return
    name = str(getattr(connection, "settings_dict", {}).get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for suffix in SQLITE_SIDECARS:
        private_file(Path(name + suffix))


def create_once(path: Path, content: str) -> None:
    """Write `content` to a new owner-only file at `path`, unless it already exists.

    Created only if absent (os.link fails on an existing file), so two processes starting at
    once end up with the same key, never one each.
    """
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(content)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def local_secret_key(var_dir: Path) -> str:
    """The demo's secret key: generated once and kept under var/ so sessions survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        private_file(path)
        key = path.read_text().strip()
        if len(key) >= 50:
            return key
    private_dir(var_dir)
    key = secrets.token_urlsafe(64)
    # Written with owner-only permissions: the key signs sessions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


# --- Data-encryption keys (core/crypto.py) ------------------------------------------------


def check_keys(keys: list[str]) -> list[str]:
    """The keys, each a valid Fernet key, or ImproperlyConfigured naming DATA_KEYS."""
    if not keys:
        raise ImproperlyConfigured("DATA_KEYS lists no key.")
    for i, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"DATA_KEYS: key {i} is not a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with `mamapro rotate-key --new-key`."
            ) from None
    return keys


def new_key() -> str:
    return Fernet.generate_key().decode()


def local_keys_path(var_dir: Path) -> Path:
    return var_dir / "data_keys"


def local_keys(var_dir: Path) -> list[str]:
    """The demo's keys: generated once under var/ (owner-only), newest first."""
    path = local_keys_path(var_dir)
    if path.exists():
        private_file(path)
        keys = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        if keys:
            return check_keys(keys)
    private_dir(var_dir)
    create_once(path, new_key() + "\n")
    return local_keys(var_dir)


def write_local_keys(var_dir: Path, keys: list[str]) -> None:
    private_dir(var_dir)
    path = local_keys_path(var_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(keys) + "\n")
    tmp.replace(path)


def check_message_settings(zone: str, part_price: str, reminder_hour: int) -> None:
    """The messages' settings that are not plain numbers, each refused naming its variable."""
    import decimal
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"SMS_PROVIDER_TIME_ZONE={zone!r} is not a time zone (e.g. Asia/Almaty)."
        ) from None
    try:
        price = decimal.Decimal(part_price)
    except decimal.InvalidOperation:
        price = decimal.Decimal(-1)
    if not price.is_finite() or price < 0:
        raise ImproperlyConfigured(
            f"SMS_PART_PRICE_KZT={part_price!r} is not an amount in tenge (e.g. 12.00)."
        )
    if not 0 <= reminder_hour <= 23:
        raise ImproperlyConfigured(f"NOTIFY_REMINDER_HOUR={reminder_hour} is not an hour (0-23).")
