"""Two gunicorn servers, A and B, on one PostgreSQL database and one Redis cache, as behind nginx.

Skipped when PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) does not answer. The servers run
the production settings (DEBUG off) on a fresh database of their own, seeded with a running game of
PLAYERS players, and Redis database 3 under a key prefix of their own: two test runs at once keep apart.
"""

import csv
import http.cookiejar
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# This run's own: another run of the suite may be using others at the same time.
DATABASE = f"killer_scale_{secrets.token_hex(4)}"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/"
REDIS_URL = "redis://127.0.0.1:6379/3"
PLAYERS = 40


def answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def scale_env(tmp_path_factory):
    if not answers(5432):
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    if not answers(6379):
        pytest.skip("no Redis on 127.0.0.1:6379")
    pytest.importorskip("redis", reason="the redis client (requirements/prod.txt) is not installed")
    var = tmp_path_factory.mktemp("scale")
    env = dict(
        os.environ,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),  # the same on both servers, as in production
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=POSTGRES_URL + DATABASE,
        CACHE_URL=REDIS_URL,
        CACHE_KEY_PREFIX=DATABASE,
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_ROOT=str(var / "static"),
        # Long enough that a server with a cache of its own would visibly answer stale 304s.
        VERSION_CACHE_SECONDS="60",
        GUNICORN_WORKERS="2",
        GUNICORN_ACCESS_LOG=str(var / "access.log"),
        GUNICORN_ERROR_LOG=str(var / "error.log"),
        DJANGO_SETTINGS_MODULE="killer.settings",
    )
    import psycopg

    with psycopg.connect(POSTGRES_URL + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    codes = var / "codes.csv"
    for command in (
        ["migrate", "--noinput", "--verbosity", "0"],
        ["collectstatic", "--noinput", "--verbosity", "0"],
        ["seed_demo", "--players", str(PLAYERS), "--start", "--codes-file", str(codes)],
    ):
        subprocess.run([BIN / "python", "manage.py", *command], cwd=ROOT, env=env, check=True)
    env["SCALE_CODES"] = str(codes)
    yield env
    with psycopg.connect(POSTGRES_URL + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    import redis

    server = redis.Redis.from_url(REDIS_URL)
    for key in server.scan_iter(match=f"{DATABASE}:*"):
        server.delete(key)


@pytest.fixture(scope="session")
def servers(scale_env):
    """{"A": url, "B": url}: two gunicorn servers, each with its own workers."""
    processes, urls = [], {}
    for name in ("A", "B"):
        port = free_port()
        env = dict(scale_env, GUNICORN_BIND=f"127.0.0.1:{port}")
        processes.append(
            subprocess.Popen([BIN / "gunicorn", "-c", "config/gunicorn.conf.py"], cwd=ROOT, env=env)
        )
        urls[name] = f"http://127.0.0.1:{port}"
    try:
        for url in urls.values():
            wait_for(url + "/health")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def wait_for(url):
    for _ in range(150):
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 -- our own server
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer")


@pytest.fixture(scope="session")
def codes(scale_env):
    with open(scale_env["SCALE_CODES"], newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def manage(scale_env):
    """Runs Python in the servers' Django (their database and cache) and returns what it prints."""

    def run(code):
        result = subprocess.run(
            [BIN / "python", "manage.py", "shell", "--verbosity", "0", "-c", code],
            cwd=ROOT,
            env=scale_env,
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()

    return run


class Browser:
    """One phone: a cookie jar, sending requests to whichever server it is told to."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, url, *, body=None, headers=None):
        """(status, headers, JSON or None), 4xx and 5xx included."""
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.update({"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken")})
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 -- our own server
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.headers, _json(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers, _json(error.read())

    def log_in(self, server, code):
        self.request(server + "/")  # the login page sets the csrftoken cookie
        status, _, me = self.request(server + "/api/login", body={"code": code})
        assert status == 200, me
        return me

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), "")


def _json(content):
    try:
        return json.loads(content)
    except ValueError:
        return None  # a page, or a 304
