"""WSGI entry point, used by gunicorn (see config/gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "killer.settings")

application = get_wsgi_application()
