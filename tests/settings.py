"""Settings for the test suite: the project's settings with a fixed key and fast password hashing."""

import os

# Long and varied enough for killer/checks.py: tests import killer.wsgi with DEBUG off.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from killer.settings import *  # noqa: E402,F403
from killer.settings import BASE_DIR, DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A file, not Django's shared in-memory database: the concurrency tests need real SQLite locking
# between threads, as between gunicorn workers.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".pytest-db.sqlite3")}

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# The Sheets stand-in has no quota unless a test gives it one: neither does the sync's budget, unless a
# test sets Google's figures (tests/sheets_sync/sync/test_sync_quota.py).
SHEETS_READS_PER_MINUTE = SHEETS_WRITES_PER_MINUTE = 1_000_000
