"""`make serve`: a game night from a laptop, reached by the phones of the local network over plain HTTP."""

import http.cookiejar
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def served(tmp_path):
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = os.environ | {"DATABASE_URL": database, "PORT": str(free_port())}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DEBUG"] = "true"  # seed_demo, as make run does; `make serve` itself turns DEBUG off
    codes = tmp_path / "codes.csv"
    subprocess.run(["make", "-s", "var/secret-key"], cwd=ROOT, env=env, check=True, timeout=120)  # noqa: S607
    subprocess.run(  # noqa: S603
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(  # noqa: S603
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "seed_demo", "--players", "3", "--start"]
        + ["--codes-file", str(codes)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    env.pop("DEBUG")
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        make = subprocess.Popen(  # noqa: S603
            ["make", "serve", f"PORT={env['PORT']}"],  # noqa: S607
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120  # migrate, collectstatic and gunicorn on a busy machine
        while not re.search(r"Listening at", log.read_text()):
            assert make.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        address = re.search(r"serving the local network at (http://[^/]+)/", log.read_text()).group(1)
        code = codes.read_text().splitlines()[1].split(",")[1]
        yield address, code, log
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=60)


@pytest.mark.slow
def test_a_phone_on_the_local_network_logs_in_over_plain_http(served):
    address, code, log = served
    jar = http.cookiejar.CookieJar()
    phone = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    page = phone.open(f"{address}/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    login = urllib.request.Request(  # noqa: S310 (an http URL of our own)
        f"{address}/",
        data=urllib.parse.urlencode({"csrfmiddlewaretoken": token, "code": code}).encode(),
        headers={"Referer": f"{address}/"},
    )
    dashboard = phone.open(login, timeout=30)

    assert dashboard.url == f"{address}/me/"
    assert not any(cookie.secure for cookie in jar)  # a Secure cookie never comes back over http
    text = log.read_text()
    assert "Plain HTTP: anyone on this network can read what passes" in text
    assert "DEBUG" not in dashboard.read().decode()
