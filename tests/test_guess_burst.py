"""A burst of wrong guesses at once on a real server (gunicorn's gevent worker, Redis for the cache,
the rate-limit counters and the sessions): the limit's worth of guesses is looked at, the rest get a
429, and nobody gets a 500."""

import asyncio
import csv
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from game import ratelimit
from tests.conftest import free_port
from tests.scale.conftest import REDIS_URL, answers

pytestmark = pytest.mark.skipif(not answers(6379), reason="no Redis on 127.0.0.1:6379")

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
BURST = 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("burst")
    port = free_port()
    prefix = f"burst-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "killer.settings",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "CACHE_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
        "SECRET_KEY": "guess-burst-test-" + "x" * 40,
        "DEBUG": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        # One worker takes the whole burst: the worst case for its pool of Redis connections.
        "GUNICORN_WORKERS": "1",
        "LOG_LEVEL": "ERROR",
    }
    codes = folder / "codes.csv"
    for command in (
        ["migrate", "--noinput"],
        ["seed_demo", "--players", "4", "--start", "--codes-file", str(codes)],
    ):
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    process = subprocess.Popen(  # noqa: S603
        [GUNICORN, "-c", "config/gunicorn.conf.py"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60  # a bound for a busy machine
        while request(port, "GET", "/health")[0] != 200:
            assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        with codes.open() as file:
            yield port, [row["login_code"] for row in csv.DictReader(file)]
    finally:
        process.terminate()
        process.wait(timeout=30)
        import redis

        server = redis.Redis.from_url(REDIS_URL)
        for key in server.scan_iter(match=f"{prefix}:*"):
            server.delete(key)


def request(port, method, path, *, cookies=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": "127.0.0.1", "Accept-Language": "en"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        headers["X-CSRFToken"] = cookies.get("csrftoken", "")
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        response.read()
    except OSError:
        return None, {}
    finally:
        connection.close()
    if cookies is not None:
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
    return response.status, response.headers


def burst(port, path, cookies, body):
    """BURST requests, each on a connection of its own, all sent before any answer is read: the
    statuses of the answers."""
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    payload = json.dumps(body).encode()
    raw = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: en\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        f"Cookie: {cookie}\r\nX-CSRFToken: {cookies['csrftoken']}\r\n\r\n"
    ).encode() + payload

    async def run():
        connections = await asyncio.gather(
            *(asyncio.open_connection("127.0.0.1", port) for _ in range(BURST))
        )
        for _, writer in connections:
            writer.write(raw)
        await asyncio.gather(*(writer.drain() for _, writer in connections))

        async def status(reader, writer):
            try:
                line = await asyncio.wait_for(reader.readline(), timeout=120)
                return int(line.split()[1]) if line else None
            finally:
                writer.close()

        return await asyncio.gather(*(status(reader, writer) for reader, writer in connections))

    return asyncio.run(run())


def test_a_burst_of_wrong_login_codes_gets_the_limit_looked_at_and_no_500(server):
    port, _ = server
    cookies = {}
    request(port, "GET", "/api/me", cookies=cookies)  # one browser's CSRF cookie on every connection
    statuses = burst(port, "/api/login", cookies, {"code": "AAAA-AAAA-AAAA"})
    assert statuses.count(400) == ratelimit.LOGIN_PER_CLIENT.attempts
    assert statuses.count(429) == BURST - ratelimit.LOGIN_PER_CLIENT.attempts, sorted(set(map(str, statuses)))


def test_a_burst_of_wrong_death_codes_gets_the_limit_looked_at_and_no_500(server):
    port, codes = server
    cookies = {}
    request(port, "GET", "/api/me", cookies=cookies)
    assert request(port, "POST", "/api/login", cookies=cookies, body={"code": codes[0]})[0] == 200
    statuses = burst(port, "/api/kills", cookies, {"death_code": "AAAA-AAAA"})
    assert statuses.count(400) == ratelimit.DEATH_CODE_PER_PLAYER.attempts
    assert statuses.count(429) == BURST - ratelimit.DEATH_CODE_PER_PLAYER.attempts, sorted(
        set(map(str, statuses))
    )
