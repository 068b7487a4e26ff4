"""Django settings for Mama Pro Centre, read from the environment.

Local runs (`./mamapro demo`, `./mamapro test`) need no variables at all: the database is an
SQLite file under var/ and the secret key is generated there. A deployment sets DATABASE_URL,
SECRET_KEY and ALLOWED_HOSTS; a bad value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

from mamapro.conf import check_keys as check_data_keys
from mamapro.conf import (
    check_message_settings,
    env_bool,
    env_int,
    env_list,
    env_str,
    local_secret_key,
    private_dir,
    sqlite_files_private,
)
from mamapro.conf import local_keys as local_data_keys
from mamapro.core.audit_key import audit_key_from_env

# Lets admin.ModelAdmin[Model] and friends be subscripted at run time, as the type stubs do.
django_stubs_ext.monkeypatch()

# Whatever this process writes (the SQLite files, keys, exports, uploads, the audit head) is
# owner-only from the moment it exists; conf.private_dir/private_file narrow what was there.
os.umask(0o077)

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env_str("MAMAPRO_VAR_DIR") or REPO_DIR / "var")
TESTING = env_bool("MAMAPRO_TESTING", False)

DEBUG = env_bool("DEBUG", False)

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
SQLITE_BUSY_TIMEOUT_SECONDS = env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1)


def _sqlite_options() -> dict[str, Any]:
    # WAL lets readers go on while one writer writes; IMMEDIATE makes every transaction take
    # the write lock up front, so "lock, recount, write" is serialised on SQLite as it is with
    # SELECT ... FOR UPDATE on PostgreSQL; the busy timeout makes waiters queue, not fail.
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }


def _sqlite_test_name() -> str:
    # MAMAPRO_TEST_SQLITE lets two checkouts (or two people) run the suite side by side.
    return env_str("MAMAPRO_TEST_SQLITE") or str(VAR_DIR / "test_mamapro.sqlite3")


def _database() -> dict[str, Any]:
    if DATABASE_URL is None:
        private_dir(VAR_DIR)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "mamapro.sqlite3"),
            "OPTIONS": _sqlite_options(),
            # A file, not memory: concurrency tests need real parallel connections.
            "TEST": {"NAME": _sqlite_test_name()},
        }
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a database URL this project understands ({exc}); "
            "use postgres://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH."
        ) from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        config["OPTIONS"] = _sqlite_options()
        config["CONN_MAX_AGE"] = 0
        config["TEST"] = {"NAME": _sqlite_test_name()}
    elif engine == "django.db.backends.postgresql":
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL names the engine {engine!r}; only PostgreSQL and SQLite are supported."
        )
    return config


DATABASES = {"default": _database()}
# The SQLite files (and their -wal/-shm) are owner-only, whoever made them (conf.py).
connection_created.connect(sqlite_files_private, dispatch_uid="mamapro-sqlite-private")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Files nobody may fetch by URL (children's photos): under var/, served only by views that
# check the role and the consent. There is no MEDIA_URL on purpose.
PRIVATE_FILES_DIR = VAR_DIR / "private"
with contextlib.suppress(OSError):  # a read-only checkout still runs `check`
    private_dir(PRIVATE_FILES_DIR)
# Uploads (through any FileSystemStorage that does not say otherwise): owner-only too.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Secrets and hosts ----------------------------------------------------------------------
_secret = env_str("SECRET_KEY")
if _secret is None:
    if DATABASE_URL is not None:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DATABASE_URL is set; only the local SQLite demo "
            "generates one under var/."
        )
    _secret = local_secret_key(VAR_DIR)
elif len(_secret) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")
SECRET_KEY = _secret

# Keys for the encrypted fields (core/crypto.py): newest first; any of them decrypts.
_data_keys = env_list("DATA_KEYS", [])
if not _data_keys:
    if DATABASE_URL is not None and not TESTING:
        raise ImproperlyConfigured(
            "DATA_KEYS is required when DATABASE_URL is set (comma-separated Fernet keys, "
            "newest first); only the local SQLite demo generates one under var/."
        )
    _data_keys = local_data_keys(VAR_DIR)
DATA_KEYS = check_data_keys(_data_keys)
DATA_KEYS_FROM_ENV = bool(env_list("DATA_KEYS", []))
# The audit chain's HMAC key (core/audit_key.py), kept outside the database and its backups.
AUDIT_KEY = audit_key_from_env(
    VAR_DIR, required=DATABASE_URL is not None and not env_bool("MAMAPRO_TESTING", False)
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

HTTPS = env_bool("HTTPS", False)
if DATABASE_URL is not None and not HTTPS and not TESTING:
    # A deployment serves passwords, session cookies and women's data: never over plain HTTP.
    raise ImproperlyConfigured(
        "HTTPS=true is required when DATABASE_URL is set (a deployment runs behind a TLS "
        "proxy); only the local SQLite demo and the test suite run over plain HTTP."
    )
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
# Every subdomain of the centre's domain is HTTPS too, and browsers may learn that in advance.
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A shared phone or a centre computer: sessions end when the browser closes, after 8 h, and
# after SESSION_IDLE_MINUTES without a page (core/security.py).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
# A seat asked for on the public form is held this long for the centre to confirm
# (public/services/applications.py), then `programs tick` passes it on.
PUBLIC_SEAT_HOLD_HOURS = env_int("PUBLIC_SEAT_HOLD_HOURS", 48, minimum=1)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "mamapro.core",
    "mamapro.centres",
    "mamapro.people",
    "mamapro.programs",
    "mamapro.kidsroom",
    "mamapro.counselling",
    "mamapro.notify",
    "mamapro.public",
    "mamapro.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # django-otp's TOTP model is replaced by core.models.TOTPDevice (secret encrypted at rest);
    # core's migration 0006 moved any devices from the plugin's table and dropped it.
    "django_otp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mamapro.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mamapro.core.middleware.UserLanguageMiddleware",
    "mamapro.core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "mamapro.core.security.IdleSessionMiddleware",
    "mamapro.core.two_factor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mamapro.urls"
WSGI_APPLICATION = "mamapro.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mamapro.core.context_processors.staff",
                "mamapro.centres.context_processors.centre_switcher",
            ],
        },
    },
]

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Two-factor codes (core/two_factor.py): the name authenticator apps show.
OTP_TOTP_ISSUER = "Mama Pro Centre"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [
    ("kk", _("Kazakh")),
    ("ru", _("Russian")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mamapro.formats"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "mamapro_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns on every request when the collectstatic target is missing.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise straight from the source tree: no collectstatic step for the demo.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Project settings -----------------------------------------------------------------------
PAGE_SIZE = env_int("PAGE_SIZE", 25, minimum=5)
API_PAGE_LIMIT_MAX = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Messages (notify): channels are off until their variables are set (API.md "Messages") ---
# The outbox rows are the truth; a task only wakes the worker. Enqueued inside the caller's
# transaction (a rolled-back enrollment leaves neither a delivery nor a task).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "messages"],
        "ENQUEUE_ON_COMMIT": False,
    }
}
SITE_URL = (env_str("SITE_URL") or "").rstrip("/")
# A neutral address of the same site for links in discreet messages (see notify/templates.py).
DISCREET_SITE_URL = (env_str("DISCREET_SITE_URL") or "").rstrip("/")
SMS_PROVIDER = env_str("SMS_PROVIDER") or "mobizon"
SMS_API_URL = (env_str("SMS_API_URL") or "https://api.mobizon.kz").rstrip("/")
SMS_API_KEY = env_str("SMS_API_KEY") or ""
SMS_SENDER = env_str("SMS_SENDER") or ""
SMS_WEBHOOK_SECRET = env_str("SMS_WEBHOOK_SECRET") or ""
# The sender a discreet SMS or e-mail shows (a sender that names the centre is never used).
DISCREET_SMS_SENDER = env_str("DISCREET_SMS_SENDER") or ""
DISCREET_FROM_EMAIL = env_str("DISCREET_FROM_EMAIL") or ""
WHATSAPP_API_URL = (env_str("WHATSAPP_API_URL") or "https://graph.facebook.com/v21.0").rstrip("/")
WHATSAPP_TOKEN = env_str("WHATSAPP_TOKEN") or ""
WHATSAPP_PHONE_ID = env_str("WHATSAPP_PHONE_ID") or ""
WHATSAPP_APP_SECRET = env_str("WHATSAPP_APP_SECRET") or ""
WHATSAPP_VERIFY_TOKEN = env_str("WHATSAPP_VERIFY_TOKEN") or ""
TELEGRAM_API_URL = (env_str("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/")
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN") or ""
TELEGRAM_BOT_NAME = env_str("TELEGRAM_BOT_NAME") or ""
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET") or ""
# Beyond API.md: each provider's rate for this account, the Mobizon account's time zone (a
# send cut off by a crash is looked up in it), the price of an SMS part for the template
# editor, the centre-local hour reminders are queued from, the worker's claim lease.
SMS_RATE_PER_SECOND = env_int("SMS_RATE_PER_SECOND", 10, minimum=1)
WHATSAPP_RATE_PER_SECOND = env_int("WHATSAPP_RATE_PER_SECOND", 20, minimum=1)
TELEGRAM_RATE_PER_SECOND = env_int("TELEGRAM_RATE_PER_SECOND", 25, minimum=1)
EMAIL_RATE_PER_SECOND = env_int("EMAIL_RATE_PER_SECOND", 5, minimum=1)
SMS_PROVIDER_TIME_ZONE = env_str("SMS_PROVIDER_TIME_ZONE") or "Asia/Almaty"
SMS_PART_PRICE_KZT = env_str("SMS_PART_PRICE_KZT") or "12.00"
NOTIFY_REMINDER_HOUR = env_int("NOTIFY_REMINDER_HOUR", 10, minimum=0)
NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 120, minimum=30)
check_message_settings(SMS_PROVIDER_TIME_ZONE, SMS_PART_PRICE_KZT, NOTIFY_REMINDER_HOUR)
# SMTP with Django's own names; without EMAIL_HOST, mail goes to files under var/mail/.
EMAIL_HOST = env_str("EMAIL_HOST") or ""
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "no-reply@localhost"
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
