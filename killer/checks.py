"""The project's own system checks: a production server's SECRET_KEY must be secret.

Django only warns (security.W009) about a short or simple key, and knows nothing of the placeholder in
config/.env.production.example, which looks random enough to pass. Here both are errors: `check
--deploy` fails, and killer/wsgi.py refuses to start with DEBUG off.
"""

from django.conf import settings
from django.core import checks
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

# Every placeholder we ship says so (config/.env.production.example).
PLACEHOLDER_MARK = "change-me"
HOW_TO_MAKE_ONE = (
    "Make one with: python -c 'from django.core.management.utils import get_random_secret_key; "
    "print(get_random_secret_key())'"
)


def weak_secret_key(key):
    """Why `key` must not sign a production server's sessions, or None when it may."""
    if PLACEHOLDER_MARK in key:
        return "SECRET_KEY is still the placeholder of config/.env.production.example."
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        return (
            f"SECRET_KEY is too short or too simple: it needs at least {SECRET_KEY_MIN_LENGTH} "
            f"characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and no "
            f"'{SECRET_KEY_INSECURE_PREFIX}' prefix."
        )
    return None


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # empty
        key = ""
    problem = weak_secret_key(key)
    return [checks.Error(problem, hint=HOW_TO_MAKE_ONE, id="killer.E001")] if problem else []
