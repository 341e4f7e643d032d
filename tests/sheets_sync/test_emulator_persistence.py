"""The data file, the HTML view, and the `sheets_emulator` command as people start it."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from sheets_sync.emulator.server import make_server
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": "Bearer test"}


def serve(data):
    server = make_server(data=data)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop(server):
    server.shutdown()
    server.server_close()


def create(url, title):
    answer = requests.post(
        f"{url}/drive/v3/files",
        json={"name": title, "mimeType": "application/vnd.google-apps.spreadsheet"},
        headers=AUTH,
        timeout=5,
    )
    return answer.json()["id"]


def test_spreadsheets_survive_a_restart(tmp_path):
    data = tmp_path / "sheets.json"
    server = serve(data)
    spreadsheet_id = create(server.url, "Game")
    requests.put(
        f"{server.url}/v4/spreadsheets/{spreadsheet_id}/values/A1",
        params={"valueInputOption": "USER_ENTERED"},
        json={"values": [["Ada", "=1+1"]]},
        headers=AUTH,
        timeout=5,
    ).raise_for_status()
    stop(server)

    server = serve(data)
    answer = requests.get(
        f"{server.url}/v4/spreadsheets/{spreadsheet_id}/values/A1:B1", headers=AUTH, timeout=5
    )
    stop(server)

    assert answer.json()["values"] == [["Ada", "2"]]
    assert [path.name for path in tmp_path.iterdir()] == ["sheets.json"]


def test_a_reset_empties_the_file(tmp_path):
    data = tmp_path / "sheets.json"
    server = serve(data)
    create(server.url, "Game")
    requests.post(f"{server.url}/_emulator/reset", json={}, timeout=5).raise_for_status()
    stop(server)

    assert json.loads(data.read_text()) == {"spreadsheets": {}}


def test_the_html_view_escapes_what_clients_wrote(sheets_emulator):
    spreadsheet_id = sheets_emulator.create_spreadsheet("<script>alert('title')</script>")
    sheets_emulator.session.put(
        f"{sheets_emulator.url}/v4/spreadsheets/{spreadsheet_id}/values/A1",
        params={"valueInputOption": "RAW"},
        json={"values": [["<b>Ada & Bob</b>"]]},
        timeout=5,
    ).raise_for_status()

    index = requests.get(f"{sheets_emulator.url}/", timeout=5).text
    page = requests.get(f"{sheets_emulator.url}/view/{spreadsheet_id}", timeout=5).text
    missing = requests.get(f"{sheets_emulator.url}/view/nope", timeout=5)

    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in index
    assert f'href="/view/{spreadsheet_id}"' in index
    assert "<td>&lt;b&gt;Ada &amp; Bob&lt;/b&gt;</td>" in page
    assert "<script>" not in index + page
    assert missing.status_code == 404


def test_the_command_serves_until_sigterm(tmp_path):
    data, port = tmp_path / "sheets.json", free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SHEETS_EMULATOR_LATENCY_MS": "7"}
    command = [sys.executable, "manage.py", "sheets_emulator", "--port", str(port), "--data", str(data)]
    flags = ["--error-rate", "0", "--quota-per-minute", "60"]
    process = subprocess.Popen(command + flags, cwd=REPO, env=env)  # noqa: S603 (our own command)
    url = f"http://127.0.0.1:{port}"
    try:
        faults = wait_for(url)
        spreadsheet_id = create(url, "Game")
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=10)

    assert returncode == 0
    assert (faults["latency_ms"], faults["error_rate"]) == (7, 0)
    assert (faults["read_quota_per_minute"], faults["write_quota_per_minute"]) == (60, 60)
    assert list(json.loads(data.read_text())["spreadsheets"]) == [spreadsheet_id]


def wait_for(url):
    deadline = time.monotonic() + 20
    while True:
        try:
            return requests.get(f"{url}/_emulator/faults", timeout=1).json()
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
