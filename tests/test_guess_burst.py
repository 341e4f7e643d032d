"""A burst of wrong guesses at once on a real server (gunicorn's gevent worker, Redis for the cache,
the rate-limit counters and the sessions): the limit's worth of guesses is looked at, the rest get a
429, and nobody gets a 500."""

import asyncio
import concurrent.futures
import json
import uuid

import pytest

from game import ratelimit
from tests.conftest import request, seeded_server
from tests.scale.conftest import REDIS_URL, answers

pytestmark = pytest.mark.skipif(not answers(6379), reason="no Redis on 127.0.0.1:6379")

BURST = 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    prefix = f"burst-{uuid.uuid4().hex}"
    settings = {
        "CACHE_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
        # One worker takes the whole burst: the worst case for its pool of Redis connections.
        "GUNICORN_WORKERS": "1",
        "LOG_LEVEL": "ERROR",
    }
    try:
        with seeded_server(tmp_path_factory.mktemp("burst"), players=4, settings=settings) as (
            port,
            codes,
            _,
        ):
            yield port, codes
    finally:
        import redis

        server = redis.Redis.from_url(REDIS_URL)
        for key in server.scan_iter(match=f"{prefix}:*"):
            server.delete(key)


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

    # In a thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, run()).result()


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
