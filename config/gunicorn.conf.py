"""gunicorn configuration, read from the environment (`gunicorn -c config/gunicorn.conf.py killer.wsgi`).

gevent workers by default, as the product is designed: each worker serves many slow phone
connections at once while a request waits on the database; psycopg 3 cooperates with gevent once the
worker has monkey-patched. The default worker runs on gevent's own HTTP server (killer/workers.py),
cheaper per request than gunicorn's `gevent` worker, which GUNICORN_WORKER_CLASS=gevent brings back.
GUNICORN_WORKER_CLASS=gthread GUNICORN_THREADS=8 switches to threads, with CONN_MAX_AGE=60 on SQLite
(PostgreSQL's connections come from a pool either way); README: Load tests and capacity.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "killer.workers.GeventWorker")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Connections a gevent worker holds at once. Each phone keeps its connection open between polls
# (keepalive below): without nginx in front, 5,000 players are 5,000 connections (gunicorn's
# default of 1,000 a worker left the extra phones waiting in the backlog until they timed out).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 10000))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# Longer than the pages' 5 s poll (nginx's default is 75 s too): with gunicorn's default of 5 s the
# server closed connections just as phones reused them, and 1 request in 20 waited 10 s at 500 players.
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
