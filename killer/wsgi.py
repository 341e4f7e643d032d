"""WSGI entry point, used by gunicorn (see config/gunicorn.conf.py)."""

import logging
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "killer.settings")

django_application = get_wsgi_application()

# Sessions are signed with it: a server without one must not start at all. Reading an empty
# SECRET_KEY raises ImproperlyConfigured ("The SECRET_KEY setting must not be empty").
settings.SECRET_KEY  # noqa: B018

from killer.early import unchanged_poll  # noqa: E402 -- once Django is set up

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
