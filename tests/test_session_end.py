"""Logging out, new login codes and deleting the player end a session in every worker: none answers
the old cookie with content at once, and none tells it its page is unchanged (a 304) past
LOCAL_VERSION_SECONDS. gunicorn with four workers, a new connection
per request as behind nginx, on the default settings (sessions in the database, a cache per process)
and with sessions in a shared Redis (where workers answer unchanged polls before Django)."""

import time
import uuid

import pytest

from tests.conftest import log_in, seeded_server
from tests.conftest import request as http

POLLS = 24  # enough for each of the four workers to answer some
SETTINGS = {
    "default": {},
    "redis": {
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
    },
}


@pytest.fixture(scope="module", params=list(SETTINGS))
def server(request, tmp_path_factory):
    settings = {
        **SETTINGS[request.param],
        "CACHE_KEY_PREFIX": f"test-session-end-{uuid.uuid4().hex}",
        "GUNICORN_WORKERS": "4",
    }
    with seeded_server(tmp_path_factory.mktemp("workers"), players=6, settings=settings) as server:
        yield server


def polled_everywhere(port, cookies):
    """The phone's ETags, after polls that every worker answered (304s it remembers, if any)."""
    held = {}
    for path in ("/api/me", "/api/leaderboard", "/api/feed"):
        status, headers = http(port, "GET", path, cookies=dict(cookies))
        assert status == 200
        held[path] = headers["ETag"]
        for _ in range(POLLS):
            status, _ = http(port, "GET", path, cookies=dict(cookies), headers={"If-None-Match": held[path]})
            assert status == 304
    return held


def answers(port, cookies, held):
    """What every worker answers the cookie now, for each way of asking."""
    seen = set()
    for _ in range(POLLS):
        for path, etag in held.items():
            for tag in (etag, "*", None):
                status, _ = http(
                    port, "GET", path, cookies=dict(cookies), headers={"If-None-Match": tag} if tag else {}
                )
                seen.add((path, tag, status))
        for path in ("/me/", "/leaderboard/"):
            status, headers = http(port, "GET", path, cookies=dict(cookies))
            seen.add((path, status, headers.get("Location")))
    return seen


def settled(port, cookies, held, seconds=15):
    """What every worker answers the cookie once the end has reached them all, within a bound for a
    busy machine; meanwhile, never an answer with content."""
    deadline = time.monotonic() + seconds
    while True:
        seen = answers(port, cookies, held)
        assert all(200 not in answer for answer in seen), seen
        if seen == logged_out(held) or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


def logged_out(held):
    return {(path, tag, 401) for path, etag in held.items() for tag in (etag, "*", None)} | {
        ("/me/", 302, "/"),
        ("/leaderboard/", 302, "/"),
    }


def test_a_logout_ends_the_session_in_every_worker(server):
    port, codes, _ = server
    cookies = log_in(port, codes[0])
    held = polled_everywhere(port, cookies)
    old = dict(cookies)

    status, _ = http(port, "POST", "/api/logout", cookies=cookies, body={})
    assert status == 200

    assert settled(port, old, held) == logged_out(held)


@pytest.mark.parametrize(
    "end",
    [
        "rules.player_new_codes(player=player, actor='gm:test', death=False)",
        # A player is deleted from a game not under way.
        "Game.objects.filter(pk=player.game_id).update(status='setup');"
        " rules.player_delete(player=player, actor='gm:test')",
    ],
    ids=["new codes", "deleted"],
)
def test_a_game_master_ends_the_session_in_every_worker(server, end):
    port, codes, manage = server
    code = codes[1] if "new_codes" in end else codes[2]
    cookies = log_in(port, code)
    held = polled_everywhere(port, cookies)

    manage(
        "shell",
        "-c",
        "from game import players, rules; from game.models import Game;"
        f" player = players.player_for_code({code!r}); {end}",
    )

    assert settled(port, cookies, held) == logged_out(held)
