"""The server's default worker (killer/workers.py, through config/gunicorn.conf.py) keeps a phone's
connection open between polls, and closes one left idle for `keepalive` seconds."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
REQUEST = b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
KEEPALIVE = 3


@pytest.fixture
def server():
    """gunicorn as configured, with a keepalive of 3 s, serving tests/load/bare_wsgi.py (304s)."""
    port = free_port()
    env = os.environ | {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_KEEPALIVE": str(KEEPALIVE),
        "PYTHONPATH": str(ROOT / "tests" / "load"),
    }
    command = [GUNICORN, "-c", "config/gunicorn.conf.py", "bare_wsgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + 60  # a bound for a busy machine
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def answer(connection):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        assert chunk, "closed before answering"
        data += chunk
    return data.split(b"\r\n", 1)[0]


def test_a_connection_serves_polls_until_it_idles_past_the_keepalive(server):
    with socket.create_connection(("127.0.0.1", server), timeout=KEEPALIVE + 30) as connection:
        connection.sendall(REQUEST)
        assert answer(connection) == b"HTTP/1.1 304 Not Modified"
        time.sleep(0.5)  # a poll within the keepalive, on the same connection
        connection.sendall(REQUEST)
        assert answer(connection) == b"HTTP/1.1 304 Not Modified"

        started = time.monotonic()
        assert connection.recv(4096) == b""  # closed by the server
        # Not before the keepalive; after it, as soon as a busy machine lets the worker run.
        assert KEEPALIVE - 0.5 < time.monotonic() - started < KEEPALIVE + 30
