"""The `sheets_emulator` fixture: a local Google Sheets API stand-in, empty and fault-free per test.

One server runs for the whole session in a thread; each test gets it reset (no spreadsheets, zero
counts, no faults). Point gspread at `sheets_emulator.url` (sheets_sync/client.py rewrites Google's
hosts to it), or call the API with `sheets_emulator.session`, which sends a bearer token.

    def test_it_survives_a_slow_google(sheets_emulator):
        sheets_emulator.faults(latency_ms=200, error_rate=0.1)
        ...
        assert sheets_emulator.stats()["writes"] == 3
"""

import functools
import threading

import pytest
import requests

from sheets_sync.emulator import credentials
from sheets_sync.emulator.server import make_server


class Emulator:
    def __init__(self, url):
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer test-token"

    def faults(self, **settings):
        """Replace the faults: latency_ms, error_rate, drop_rate, read_quota_per_minute,
        write_quota_per_minute, seed. What is left out is off; faults() turns them all off."""
        response = requests.post(f"{self.url}/_emulator/faults", json=settings, timeout=5)
        response.raise_for_status()
        return response.json()

    def stats(self):
        return requests.get(f"{self.url}/_emulator/stats", timeout=5).json()

    def reset(self):
        """Forget every spreadsheet and every count."""
        requests.post(f"{self.url}/_emulator/reset", json={}, timeout=5).raise_for_status()

    def service_account_info(self):
        """A service-account key file's content whose token_uri is the stand-in's /token: write it to
        a file for code that reads one, or pass it to Credentials.from_service_account_info."""
        return _service_account_info(self.url)

    def create_spreadsheet(self, title="Test spreadsheet"):
        """Create a spreadsheet as gspread does (through Drive) and return its id."""
        response = self.session.post(
            f"{self.url}/drive/v3/files",
            json={"name": title, "mimeType": "application/vnd.google-apps.spreadsheet"},
            timeout=5,
        )
        response.raise_for_status()
        return response.json()["id"]


@functools.cache
def _service_account_info(url):
    """One key for the session: making an RSA key takes a while, and nobody checks it."""
    return credentials.service_account_info(url)


@pytest.fixture(scope="session")
def _emulator_url():
    server = make_server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    server.shutdown()
    server.server_close()


@pytest.fixture
def sheets_emulator(_emulator_url):
    emulator = Emulator(_emulator_url)
    emulator.faults()
    emulator.reset()
    yield emulator
    emulator.session.close()
