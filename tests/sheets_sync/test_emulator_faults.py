"""Faults (quota, errors, latency, dropped connections) and the request counts in /_emulator/stats."""

import time
from types import SimpleNamespace

import pytest
import requests

from sheets_sync.emulator import faults


@pytest.fixture
def spreadsheet_url(sheets_emulator):
    return f"{sheets_emulator.url}/v4/spreadsheets/{sheets_emulator.create_spreadsheet()}"


def read(sheets_emulator, spreadsheet_url):
    return sheets_emulator.session.get(f"{spreadsheet_url}/values/A1", timeout=5)


def write(sheets_emulator, spreadsheet_url):
    return sheets_emulator.session.put(
        f"{spreadsheet_url}/values/A1",
        params={"valueInputOption": "RAW"},
        json={"values": [["x"]]},
        timeout=5,
    )


def test_past_the_read_quota_it_answers_googles_429(sheets_emulator, spreadsheet_url):
    sheets_emulator.faults(read_quota_per_minute=3)

    statuses = [read(sheets_emulator, spreadsheet_url).status_code for _ in range(3)]
    refused = read(sheets_emulator, spreadsheet_url)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert error["message"].startswith(
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests"
    )
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert error["details"][0]["metadata"]["quota_limit"] == "ReadRequestsPerMinutePerUser"
    assert error["details"][0]["metadata"]["quota_limit_value"] == "3"
    # Writes have their own quota, and Drive is not the Sheets API.
    assert write(sheets_emulator, spreadsheet_url).status_code == 200
    assert sheets_emulator.create_spreadsheet()


def test_the_write_quota_refills_as_the_minute_slides(sheets_emulator, spreadsheet_url, monkeypatch):
    # The stand-in's clock, moved by hand: a busy machine can't stretch the minute under the test.
    now = [1000.0]
    monkeypatch.setattr(faults, "time", SimpleNamespace(monotonic=lambda: now[0], sleep=time.sleep))
    sheets_emulator.faults(write_quota_per_minute=2)

    answers = [write(sheets_emulator, spreadsheet_url) for _ in range(3)]
    now[0] += 59
    assert write(sheets_emulator, spreadsheet_url).status_code == 429
    now[0] += 1

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert (
        answers[2].json()["error"]["details"][0]["metadata"]["quota_limit"] == "WriteRequestsPerMinutePerUser"
    )
    assert write(sheets_emulator, spreadsheet_url).status_code == 200


def test_it_fails_the_configured_share_of_requests(sheets_emulator, spreadsheet_url):
    sheets_emulator.faults(error_rate=0.25, seed=1)

    statuses = [read(sheets_emulator, spreadsheet_url).status_code for _ in range(400)]

    failures = [status for status in statuses if status != 200]
    assert 0.18 < len(failures) / len(statuses) < 0.32
    assert set(failures) == {500, 503}


def test_a_failure_looks_like_googles(sheets_emulator, spreadsheet_url):
    sheets_emulator.faults(error_rate=1)

    error = read(sheets_emulator, spreadsheet_url).json()["error"]

    assert error in (
        {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"},
        {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"},
    )


def test_latency_is_added_to_every_answer(sheets_emulator, spreadsheet_url):
    sheets_emulator.faults(latency_ms=150)

    started = time.monotonic()
    read(sheets_emulator, spreadsheet_url).raise_for_status()

    assert time.monotonic() - started >= 0.15


def test_a_dropped_connection_gets_no_answer(sheets_emulator, spreadsheet_url):
    sheets_emulator.faults(drop_rate=1)

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{spreadsheet_url}/values/A1", headers={"Authorization": "Bearer x"}, timeout=5)

    assert sheets_emulator.stats()["dropped"] == 1


def test_faults_can_be_read_back_and_are_checked(sheets_emulator):
    settings = sheets_emulator.faults(latency_ms=5, drop_rate=0.5)
    refused = requests.post(f"{sheets_emulator.url}/_emulator/faults", json={"error_rate": 2}, timeout=5)

    assert settings == {
        "latency_ms": 5,
        "error_rate": 0.0,
        "drop_rate": 0.5,
        "read_quota_per_minute": 0,
        "write_quota_per_minute": 0,
        "seed": None,
        "forbidden": [],
    }
    assert refused.status_code == 400


def test_stats_count_requests_by_kind_until_reset(sheets_emulator, spreadsheet_url):
    read(sheets_emulator, spreadsheet_url)
    read(sheets_emulator, spreadsheet_url)
    write(sheets_emulator, spreadsheet_url)

    stats = sheets_emulator.stats()
    sheets_emulator.reset()

    assert (stats["total"], stats["per_minute"], stats["reads"], stats["writes"]) == (4, 4, 2, 2)
    assert stats["by_kind"] == {"drive.files.create": 1, "values.get": 2, "values.update": 1}
    assert stats["by_method"] == {"POST": 1, "GET": 2, "PUT": 1}
    assert stats["by_status"] == {"200": 4}
    assert sheets_emulator.stats()["total"] == 0
    assert read(sheets_emulator, spreadsheet_url).status_code == 404
