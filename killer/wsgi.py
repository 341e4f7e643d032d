"""WSGI entry point, used by gunicorn (see config/gunicorn.conf.py)."""

import logging
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "killer.settings")

django_application = get_wsgi_application()

from killer.checks import HOW_TO_MAKE_ONE, weak_secret_key  # noqa: E402 -- once Django is set up
from killer.early import unchanged_poll  # noqa: E402

# Sessions are signed with it: a server without one must not start at all (reading an empty
# SECRET_KEY raises ImproperlyConfigured: "The SECRET_KEY setting must not be empty"), nor with a
# guessable one (killer/checks.py) unless DEBUG is on, as with `make run`.
_weak_key = weak_secret_key(settings.SECRET_KEY)
if _weak_key and not settings.DEBUG:
    raise ImproperlyConfigured(f"{_weak_key} {HOW_TO_MAKE_ONE}")

logger = logging.getLogger(__name__)


def application(environ, start_response):
    """Django, but for the polls of unchanged pages: killer/early.py answers those first."""
    try:
        headers = unchanged_poll(environ)
    except Exception:
        # Django answers then, and says what is wrong as for any request.
        logger.exception("The early answer to a poll failed")
        headers = None
    if headers is None:
        return django_application(environ, start_response)
    start_response("304 Not Modified", headers)
    return []
