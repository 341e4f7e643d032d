"""gunicorn configuration, read from the environment (`gunicorn -c config/gunicorn.conf.py killer.wsgi`).

gevent workers by default, as the product is designed: each worker serves many slow phone
connections at once while a request waits on the database; psycopg 3 cooperates with gevent once the
worker has monkey-patched. The default worker runs on gevent's own HTTP server (killer/workers.py),
cheaper per request than gunicorn's `gevent` worker, which GUNICORN_WORKER_CLASS=gevent brings back.
GUNICORN_WORKER_CLASS=gthread GUNICORN_THREADS=8 switches to threads, with CONN_MAX_AGE=60 on SQLite
(PostgreSQL's connections come from a pool either way); docs/load-tests.md compares them.
"""

import multiprocessing
import os
import time
from pathlib import Path

import environ

# The settings of .env (as Django reads them) count here too, and the master logs in TIME_ZONE: Django
# puts its workers there (TZ), and one log should not mix two clocks.
environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env")
os.environ["TZ"] = os.environ.get("TIME_ZONE", "Europe/Paris")
time.tzset()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "killer.workers.GeventWorker")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Connections a gevent worker holds at once. Each phone keeps its connection open between polls
# (keepalive below): without nginx in front, every player is a connection, and the phones past the
# workers' total wait in the backlog until they time out.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 10000))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# Longer than the pages' 5 s poll (nginx's default is 75 s too): a shorter one closes connections
# just as phones reuse them, and those requests wait for a new connection (docs/load-tests.md).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 75))
# None by default: nginx keeps the access log (deploy/nginx/killer.conf). "-" for standard output.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
pidfile = os.environ.get("GUNICORN_PIDFILE") or None
# Behind nginx on the same host: gunicorn's own workers (gevent, gthread) trust its X-Forwarded-*
# headers. Django reads X-Forwarded-Proto itself (BEHIND_TLS_PROXY), whatever the worker.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "killer.wsgi:application"
