"""WSGI entry point, used by gunicorn (see config/gunicorn.conf.py)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "killer.settings")

application = get_wsgi_application()

# Sessions are signed with it: a server without one must not start at all. Reading an empty
# SECRET_KEY raises ImproperlyConfigured ("The SECRET_KEY setting must not be empty").
settings.SECRET_KEY  # noqa: B018
