"""A page never goes back in time: a poll that carries version N gets N or newer, whichever worker
answers it. gunicorn with several workers on the default settings (SQLite, a cache per process),
a new connection per request as behind nginx, a phone polling fast while players die."""

import re
import time

import pytest

from tests.conftest import log_in, request, seeded_server

PLAYERS = 24


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with seeded_server(
        tmp_path_factory.mktemp("workers"), players=PLAYERS, settings={"GUNICORN_WORKERS": "4"}
    ) as (port, codes, _):
        yield port, codes


def version(etag):
    return int(re.fullmatch(r'(?:W/)?"\w+-\d+-(\d+)-\w+"', etag)[1])


def test_a_poll_never_gets_an_older_page_than_it_has(server):
    port, codes = server
    watcher = log_in(port, codes[0])
    held = {"/api/leaderboard": None, "/api/me": None}
    older = []
    for code in codes[1 : PLAYERS // 2 + 1]:
        status, _ = request(port, "POST", "/api/death", cookies=log_in(port, code), body={})
        assert status == 201
        for _ in range(6):
            for path, etag in held.items():
                status, headers = request(
                    port, "GET", path, cookies=watcher, headers={"If-None-Match": etag} if etag else {}
                )
                assert status in (200, 304)
                if etag and version(headers["ETag"]) < version(etag):
                    older.append((path, etag, headers["ETag"]))
                held[path] = headers["ETag"]
            time.sleep(0.05)
    assert older == []
