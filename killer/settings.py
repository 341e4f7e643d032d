"""Django settings for killer.

Every setting comes from the environment or from a `.env` file at the top of the repository
(see config/.env.example for development and config/.env.production.example for a server).
"""

import os
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# The web server refuses to start without a key (killer/wsgi.py); commands that sign nothing, such as
# makemigrations, run without one, and Django stops any that needs it ("must not be empty").
# Read as it is: django-environ takes a value starting with "$" for the name of another variable, and
# one key in fifty that Django's get_random_secret_key() makes starts with "$".
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# The address players reach the site at (https://killer.example.org): every link the app hands out
# (login cards, their QR codes, exported login links) starts with it, whatever address the game
# master's browser used. Unset: the address of the game master's request, and a warning on the cards.
SITE_URL = env("SITE_URL", default="").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Before the admin: game/templates/admin/base_site.html replaces the admin's own.
    "game",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "sheets_sync",
    "killer",  # its system checks (killer/checks.py)
]
# killer.E001 (killer/checks.py) makes an error of this warning about a weak SECRET_KEY.
SILENCED_SYSTEM_CHECKS = ["security.W009"]

# Those that add headers come first, so that every answer has them: the 400 of RefuseNulMiddleware and
# the other errors of the middleware after them too (tests/test_security_headers.py).
MIDDLEWARE = [
    "killer.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "killer.middleware.SecurityHeadersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "killer.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "killer.urls"
WSGI_APPLICATION = "killer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite by default: nothing to install. WAL lets readers run beside the one writer; IMMEDIATE
# transactions take the write lock at BEGIN, so two writers queue on the busy timeout instead of
# failing with "database is locked" when one upgrades a read lock. PostgreSQL through DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=5),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Persistent connections live as long as the thread that opened them. Under gevent workers (the
# default) every request is a new greenlet with a connection of its own, so they would only pile up;
# with gthread workers CONN_MAX_AGE=60 saves opening a connection per request (docs/load-tests.md).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL: a pool of connections in each worker (psycopg's), so that a gevent worker's hundreds of
# phones at once share a few database connections: opening one each runs PostgreSQL out of connections
# (docs/load-tests.md). A request waits up to 10 s for a free one. The pool and persistent connections
# (CONN_MAX_AGE) exclude each other: DATABASE_POOL_SIZE=0 turns the pool off.
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=10)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_SIZE:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 10,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Servers of two sites (or two test runs) sharing one Redis keep apart by their prefix.
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="")
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "killer.cache.RedisCache"  # one Redis client per process
# How long the cache keeps a game's or a player's version, the ETags of the polls (game/polls.py), and
# how long a worker uses its own copy of a game's version before it asks the cache again. The rules
# forget a version when they commit: in every worker with a shared cache (Redis), only in their own
# with a cache per process (locmem), where the others keep theirs VERSION_CACHE_SECONDS. A poll sees
# a change at worst that much later (and LOCAL_VERSION_SECONDS), never misses it.
VERSION_CACHE_SECONDS = env.int(
    "VERSION_CACHE_SECONDS", default=2 if CACHES["default"]["BACKEND"].endswith("LocMemCache") else 30
)
LOCAL_VERSION_SECONDS = env.float("LOCAL_VERSION_SECONDS", default=1)
# `db` by default. With a cache shared by all workers and servers (CACHE_URL=redis://...),
# `django.contrib.sessions.backends.cached_db` saves a query per request (docs/load-tests.md).
SESSION_ENGINE = env("SESSION_ENGINE", default="django.contrib.sessions.backends.db")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "admin:login"
# Where the admin's login goes when its `next` is missing or points off the site (Django checks it with
# url_has_allowed_host_and_scheme): the admin, not Django's /accounts/profile/ (a 404 here).
LOGIN_REDIRECT_URL = "admin:index"

# Google Sheets sync (sheets_sync, `manage.py sync_sheets`). SHEETS_API_URL points the sync at a stand-in
# for Google's Sheets and Drive APIs (tests, demos); the credentials file is a service account's JSON key.
SHEETS_API_URL = env("SHEETS_API_URL", default="https://sheets.googleapis.com")
SHEETS_CREDENTIALS_FILE = env("SHEETS_CREDENTIALS_FILE", default="")
SHEETS_TIMEOUT = env.float("SHEETS_TIMEOUT", default=10)
SHEETS_RUN_SECONDS = env.float("SHEETS_RUN_SECONDS", default=25)
# Google's quota for the service account (60 a minute of each unless Google granted more): the sync
# spends it across every process and server (sheets_sync/budget.py).
SHEETS_READS_PER_MINUTE = env.int("SHEETS_READS_PER_MINUTE", default=60)
SHEETS_WRITES_PER_MINUTE = env.int("SHEETS_WRITES_PER_MINUTE", default=60)

# `manage.py backup` (deploy/systemd/killer-backup.timer: hourly): where the copies go, and how many stay.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "var" / "backups")
BACKUP_KEEP = env.int("BACKUP_KEEP", default=48)

# Behind a TLS-terminating proxy (deploy/nginx), which sets X-Forwarded-Proto and X-Forwarded-For.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_REFERRER_POLICY = "same-origin"
# Django's defaults, said out loud: tests/test_security_headers.py checks the headers they set.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "game.audit.RequestIdFilter"}},
    # Times with their offset, as gunicorn writes its own lines; config/gunicorn.conf.py puts its
    # master in TIME_ZONE too, so that every line of the log counts time the same way.
    "formatters": {
        "plain": {
            "format": "[%(asctime)s] %(levelname)s [%(request_id)s] %(name)s %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S %z",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) would print every warning a second time.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # google-auth looks up the service account's regional access boundary in a background
        # thread; with the local stand-in (no Google) each lookup logs three retry warnings.
        # The sync logs its own retries.
        "urllib3.connectionpool": {"level": "ERROR"},
    },
}
CSRF_FAILURE_VIEW = "game.api.csrf_failure"
