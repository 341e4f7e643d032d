"""gunicorn configuration, read from the environment (`gunicorn -c config/gunicorn.conf.py killer.wsgi`).

gthread workers by default: each worker's threads keep their database and cache connections from one
request to the next (CONN_MAX_AGE), while a thread of the worker waits for idle keep-alive phone
connections. Under gevent every request is a new greenlet that opens its own database connection:
/api/me served 3-4 times fewer requests a second (README: Load tests and capacity). gevent is still
GUNICORN_WORKER_CLASS=gevent; psycopg 3 cooperates with it once the worker has monkey-patched.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# Longer than the pages' 5 s poll (nginx's default is 75 s too): with gunicorn's default of 5 s the
# server closed connections just as phones reused them, and 1 request in 20 waited 10 s at 500 players.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 75))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
pidfile = os.environ.get("GUNICORN_PIDFILE") or None
# Behind nginx on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "killer.wsgi:application"
