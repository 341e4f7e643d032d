"""The stand-in on a game master's laptop keeps its sheets (login codes in them) from the web pages
their browser opens: no answer under another name (DNS rebinding), no cross-site change."""

from urllib.parse import urlsplit

import pytest
import requests


@pytest.fixture
def emulator(sheets_emulator):
    sheets_emulator.create_spreadsheet("Login codes")
    sheets_emulator.port = urlsplit(sheets_emulator.url).port
    return sheets_emulator


def titles(emulator):
    answer = emulator.session.get(f"{emulator.url}/drive/v3/files", timeout=5)
    return [file["name"] for file in answer.json()["files"]]


def test_it_answers_under_its_local_names(emulator):
    for name in ("localhost", "127.0.0.1", "[::1]"):
        page = requests.get(f"{emulator.url}/", headers={"Host": f"{name}:{emulator.port}"}, timeout=5)
        assert page.status_code == 200, name
        assert "Login codes" in page.text


def test_it_refuses_a_request_for_another_name(emulator):
    for host in (f"evil.example:{emulator.port}", "evil.example", f"127.0.0.1:{emulator.port + 1}"):
        page = requests.get(f"{emulator.url}/", headers={"Host": host}, timeout=5)
        assert page.status_code == 403, host
        assert "Login codes" not in page.text
        listed = emulator.session.get(f"{emulator.url}/drive/v3/files", headers={"Host": host}, timeout=5)
        assert listed.status_code == 403 and "Login codes" not in listed.text
        stats = requests.get(f"{emulator.url}/_emulator/stats", headers={"Host": host}, timeout=5)
        assert stats.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example", "Content-Type": "application/json"},
        {"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"},
        {"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"},  # another port of localhost
        {"Content-Type": "text/plain"},  # what a page may send elsewhere without asking first
        {},
    ],
)
def test_it_refuses_a_control_request_a_page_could_send(emulator, headers):
    reset = requests.post(f"{emulator.url}/_emulator/reset", data="{}", headers=headers, timeout=5)
    faults = requests.post(
        f"{emulator.url}/_emulator/faults", data='{"error_rate": 1}', headers=headers, timeout=5
    )
    assert (reset.status_code, faults.status_code) == (403, 403)
    assert titles(emulator) == ["Login codes"]
    assert requests.get(f"{emulator.url}/_emulator/faults", timeout=5).json()["error_rate"] == 0


def test_it_refuses_a_cross_site_change_through_the_api(emulator):
    created = emulator.session.post(
        f"{emulator.url}/drive/v3/files",
        json={"name": "Planted", "mimeType": "application/vnd.google-apps.spreadsheet"},
        headers={"Origin": "http://evil.example"},
        timeout=5,
    )
    assert created.status_code == 403
    assert titles(emulator) == ["Login codes"]


def test_it_takes_json_control_requests_from_scripts_and_its_own_origin(emulator):
    own = {"Origin": f"http://127.0.0.1:{emulator.port}", "Sec-Fetch-Site": "same-origin"}
    faults = requests.post(f"{emulator.url}/_emulator/faults", json={"latency_ms": 1}, headers=own, timeout=5)
    assert faults.status_code == 200 and faults.json()["latency_ms"] == 1
    assert requests.post(f"{emulator.url}/_emulator/reset", json={}, timeout=5).status_code == 200
    assert titles(emulator) == []
