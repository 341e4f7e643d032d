"""The servers of a load test: gunicorn as config/gunicorn.conf.py starts it (DEBUG off, a fresh seeded
game, collectstatic done), nginx in front with the site of deploy/nginx/, and the sync beside it against
the local Sheets API stand-in. run.py, costs.py, saturate.py and sparse.py start them from here."""

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# config/gunicorn.conf.py's default: gevent, on gevent's HTTP server (killer/workers.py).
DEFAULT_WORKER = "killer.workers.GeventWorker"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/"
REDIS_URL = "redis://127.0.0.1:6379/3"
SHEETS_PORT = 8799


def server_env(args, out):
    env = dict(os.environ)
    if args.db == "postgres":
        database_url = POSTGRES_URL + "killer_load"
    else:
        database_url = f"sqlite:///{ROOT / 'var' / 'load' / 'load.sqlite3'}"
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(ROOT / "var" / "load" / "static"),
        # Plain HTTP on 127.0.0.1: the load generator must get the cookies back.
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        # Behind nginx, gunicorn listens on the next port.
        GUNICORN_BIND=f"127.0.0.1:{args.port + 1 if args.nginx else args.port}",
        LOAD_HOST=f"http://127.0.0.1:{args.port}",
        GUNICORN_WORKER_CLASS=args.worker_class,
        GUNICORN_ERROR_LOG=str(out / "gunicorn.log"),
        GUNICORN_PIDFILE=str(out / "gunicorn.pid"),
        LOAD_CODES_FILE=str(ROOT / "var" / "load" / "codes.csv"),
        LOAD_GAME_MASTERS=os.environ.get("LOAD_GAME_MASTERS", "2"),
        LOAD_PROCESSES=str(args.processes),
        LOAD_NICE=str(args.nice),
    )
    if args.worker_class == "gthread":
        # As measured in docs/load-tests.md: threads that keep their database connections (PostgreSQL's
        # come from the pool instead).
        env.setdefault("GUNICORN_THREADS", "8")
        if args.db == "sqlite":
            env.setdefault("CONN_MAX_AGE", "60")
    if args.cache == "redis":
        env.update(CACHE_URL=REDIS_URL, SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
    else:
        env.update(CACHE_URL="locmemcache://", SESSION_ENGINE="django.contrib.sessions.backends.db")
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    return env


def prepare(env, players, out):
    """A fresh database with one running game of `players` players, and the static files."""
    var = ROOT / "var" / "load"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if env["DATABASE_URL"].startswith("postgres"):
        fresh_postgres_database("killer_load")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    # Cached JSON is keyed by game and version: a fresh database must not meet an old cache.
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(
        env,
        "seed_demo",
        "--players",
        str(players),
        "--start",
        "--codes-file",
        env["LOAD_CODES_FILE"],
        "--game-master",
        "gm",
    )


def fresh_postgres_database(name):
    import psycopg

    with psycopg.connect(POSTGRES_URL + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args):
    subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, env=env, check=True)


class Server:
    def __init__(self, env, out):
        self.env, self.out = env, out

    def nice(self):
        os.nice(int(self.env["LOAD_NICE"]))

    def __enter__(self):
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "-c", "config/gunicorn.conf.py"], cwd=ROOT, env=self.env, preexec_fn=self.nice
        )
        try:
            wait_for(f"http://{self.env['GUNICORN_BIND']}/health", self.out / "gunicorn.log")
        except SystemExit:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def wait_for(url, log):
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- our own server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"No answer on {url}: see {log}")


class Nginx:
    """nginx in front of gunicorn (--nginx), with the site of deploy/nginx/killer.conf on plain HTTP:
    phones' idle keep-alive connections end in nginx, which passes requests on over a few upstream
    connections kept open to gunicorn."""

    def __init__(self, args, env, out):
        self.port, self.env = args.port, env
        self.enabled = args.nginx
        self.dir = out / "nginx"
        self.processes = []  # measured with the server

    def __enter__(self):
        if not self.enabled:
            return self
        if not shutil.which("nginx"):
            raise SystemExit("nginx is missing: apt-get install nginx (or --no-nginx)")
        self.dir.mkdir()
        site = plain_http_site(self.port, self.env["GUNICORN_BIND"], self.dir / "killer.access.log")
        (self.dir / "site.conf").write_text(site)
        (self.dir / "nginx.conf").write_text(NGINX_CONF.format(dir=self.dir))
        self.processes = [
            subprocess.Popen(
                ["nginx", "-c", self.dir / "nginx.conf", "-p", self.dir, "-g", "daemon off;"],
                preexec_fn=lambda: os.nice(int(self.env["LOAD_NICE"])),
            )
        ]
        wait_for(f"{self.env['LOAD_HOST']}/health", self.dir / "error.log")
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            process.wait(timeout=60)


# As Debian's /etc/nginx/nginx.conf: a worker per core; the site has its own access log.
NGINX_CONF = """
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{
    worker_connections 16384;
}}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/site.conf;
}}
"""


def plain_http_site(port, upstream, log):
    """deploy/nginx/killer.conf's HTTPS server on 127.0.0.1:port without TLS (Locust speaks HTTP),
    passing on to `upstream`, its access log in `log`; the HTTP-to-HTTPS redirect server left out."""
    site = (ROOT / "deploy" / "nginx" / "killer.conf").read_text()
    site = re.sub(r"(?m)^\s*#.*\n", "", site)
    site, redirects = re.subn(r"\nserver \{\n\s+listen 80;.*?\n\}\n", "\n", site, flags=re.DOTALL)
    site = re.sub(r"\n\s*(ssl_\w+|listen \[::\]:\d+)[^;]*;", "", site)
    site, listens = re.subn(r"(?m)^\s*listen 443 ssl[^;]*;", f"    listen 127.0.0.1:{port};", site)
    site, upstreams = re.subn(r"server 127\.0\.0\.1:8000;", f"server {upstream};", site)
    site, logs = re.subn(r"/var/log/nginx/killer\.access\.log", str(log), site)
    if (redirects, listens, upstreams, logs) != (1, 1, 1, 1) or "ssl" in site:
        raise SystemExit("deploy/nginx/killer.conf changed shape: update plain_http_site() here")
    return site


class Sync:
    """`sync_sheets --loop --interval 30` beside the server, as on a game night, syncing the load
    test's game with a spreadsheet on the local Sheets API stand-in (set up as `make run` does)."""

    def __init__(self, env, out, *, enabled):
        self.env = dict(
            env,
            SHEETS_API_URL=f"http://127.0.0.1:{SHEETS_PORT}",
            SHEETS_CREDENTIALS_FILE=str(out / "sheets-credentials.json"),
        )
        self.out, self.enabled = out, enabled
        self.processes = []  # measured with the server
        self.stand_in = None  # plays Google: not measured

    def __enter__(self):
        if not self.enabled:
            return self
        log = (self.out / "sync.log").open("w")
        self.stand_in = subprocess.Popen(
            [BIN / "python", "manage.py", "sheets_emulator", "--port", str(SHEETS_PORT)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # It does Google's work, which on a game night runs on Google's machines: here it yields
            # the CPU to everything measured.
            preexec_fn=lambda: os.nice(19),
        )
        subprocess.run([BIN / "python", "manage.py", "sheets_demo"], cwd=ROOT, env=self.env, check=True)
        self.processes = [
            subprocess.Popen(
                [BIN / "python", "manage.py", "sync_sheets", "--loop", "--interval", "30"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # As deploy/ runs it: background work, 10 below the server.
                preexec_fn=lambda: os.nice(int(self.env["LOAD_NICE"]) + 10),
            )
        ]
        return self

    def __exit__(self, *exc):
        for process in self.processes + ([self.stand_in] if self.stand_in else []):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
