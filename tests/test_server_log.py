"""What `make run` prints: each warning once, one clock for every line, and a quiet Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"


@pytest.fixture
def server(tmp_path):
    """gunicorn as `make run` starts it (DEBUG on, two workers), in a process group of its own, as a
    terminal's foreground job is."""
    port = free_port()
    log = tmp_path / "server.log"
    env = os.environ | {
        "DEBUG": "true",
        "SECRET_KEY": "server-log-test",
        "TIME_ZONE": "Europe/Paris",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            [GUNICORN, "-c", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60  # a bound for a busy machine
        while b"Booting worker" not in log.read_bytes() or not listening(port):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield process, port, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_a_warning_is_printed_once_with_the_clock_of_gunicorns_lines(server):
    process, port, log = server
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/me", timeout=30)  # noqa: S310

    deadline = time.monotonic() + 30
    while "Unauthorized: /api/me" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)

    lines = log.read_text().splitlines()
    assert len([line for line in lines if "Unauthorized: /api/me" in line]) == 1
    offsets = {re.match(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ([+-]\d{4})\]", line).group(1) for line in lines}
    assert len(offsets) == 1, lines


def test_ctrl_c_stops_the_server_without_a_traceback(server):
    process, port, log = server
    for _ in range(4):  # through both workers, most likely
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/me", timeout=30)  # noqa: S310

    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends its foreground job on Ctrl-C

    assert process.wait(timeout=60) == 0
    text = log.read_text()
    assert "Shutting down: Master" in text
    assert "Traceback" not in text and "SystemExit" not in text
