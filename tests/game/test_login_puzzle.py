"""A venue's address past its limit on wrong login codes: a solved puzzle still gets a player in, and
gets someone guessing one guess per puzzle."""

import hashlib
import logging
import re
import time
from functools import partial
from itertools import count
from types import SimpleNamespace

import pytest
from django.core import signing
from django.test import override_settings

from game import ratelimit
from game.models import RateLimitCounter
from tests.conftest import at_once
from tests.game.test_ratelimit import (
    REDIS,
    VENUE_IP,
    browser,
    guess_from,
    guess_request,
    post,
    random_code,
    redis_answers,
    try_login,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """Every guess of a test in one window: 600 guesses may take a while on a busy machine."""
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_000_000.0)


@pytest.fixture(autouse=True)
def quiet(caplog):
    caplog.set_level(logging.ERROR, logger="game.ratelimit")


@pytest.fixture
def venue_used_up():
    """Someone dropping cookies at every guess has used up the venue address's limit."""
    for i in range(ratelimit.LOGIN_PER_IP.attempts):
        assert try_login(guess_request(f"attacker-{i}"), random_code()) is None
    assert try_login(guess_request("attacker-next"), random_code()) == "limited"


def solve(challenge):
    """What the login page's script does: the first number that hashes with PUZZLE_BITS zero bits."""
    for n in count():
        digest = hashlib.sha256(f"{challenge}:{n}".encode()).digest()
        if not int.from_bytes(digest[:4], "big") >> (32 - ratelimit.PUZZLE_BITS):
            return str(n)


def solved_puzzle():
    challenge = ratelimit.new_puzzle()
    return {"challenge": challenge, "proof": solve(challenge)}


def test_a_player_logs_in_through_the_api_after_the_venue_address_is_used_up(cast, venue_used_up):
    phone = browser()
    refused = post(phone, "/api/login", {"code": cast.killer.login_code})
    assert refused.status_code == 429 and "Retry-After" in refused
    puzzle = refused.json()["puzzle"]
    assert puzzle["bits"] == ratelimit.PUZZLE_BITS
    proof = solve(puzzle["challenge"])
    response = post(
        phone,
        "/api/login",
        {"code": cast.killer.login_code, "challenge": puzzle["challenge"], "proof": proof},
    )
    assert response.status_code == 200
    assert response.json()["player"]["id"] == cast.killer.pk
    assert phone.get("/api/me").status_code == 200


def form_puzzle(response):
    return re.search(r'name="challenge" value="([^"]+)"', response.content.decode()).group(1)


def test_a_player_logs_in_with_the_form_after_the_venue_address_is_used_up(cast, venue_used_up):
    phone = browser()
    token = phone.cookies["csrftoken"].value
    refused = phone.post("/", {"code": cast.killer.login_code, "csrfmiddlewaretoken": token})
    assert refused.status_code == 429 and "Retry-After" in refused
    # The form again, with the code typed and a puzzle that the page's script solves and sends.
    assert f'value="{cast.killer.login_code}"' in refused.content.decode()
    assert "no-store" in refused["Cache-Control"]
    challenge = form_puzzle(refused)
    response = phone.post(
        "/",
        {
            "code": cast.killer.login_code,
            "challenge": challenge,
            "proof": solve(challenge),
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert phone.get("/me/").status_code == 200


def test_an_old_card_link_leads_to_the_login_form_even_after_the_venue_address_is_used_up(
    cast, venue_used_up
):
    # The link looks at no code (the page's script posts it with the form, which gets the puzzle).
    response = browser().get(f"/login/{cast.killer.login_code}/")

    assert response.status_code == 302
    assert response["Location"] == f"/login/#{cast.killer.login_code}"


def test_without_a_solved_puzzle_even_the_right_code_is_refused_unseen(cast, venue_used_up):
    assert try_login(guess_request("attacker-new"), cast.killer.login_code) == "limited"
    unsolved = {"challenge": ratelimit.new_puzzle(), "proof": "0"}
    request = guess_request("attacker-new")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.take(ratelimit.login_keys(request, **unsolved))


def test_a_solved_puzzle_gets_one_guess_looked_at(cast, venue_used_up):
    puzzle = solved_puzzle()
    assert ratelimit.login_keys(guess_request("a"), **puzzle) == [(ratelimit.LOGIN_PER_CLIENT, "a")]
    # Used once: the same solution again counts against the address, which is used up.
    again = ratelimit.login_keys(guess_request("b"), **puzzle)
    assert (ratelimit.LOGIN_PER_IP, VENUE_IP) in again


@pytest.mark.parametrize(
    "tamper",
    [
        lambda puzzle: {**puzzle, "challenge": puzzle["challenge"].replace(":", "x:", 1)},  # not ours
        lambda puzzle: {**puzzle, "proof": str(int(puzzle["proof"]) + 1)},  # not a solution, almost surely
        lambda puzzle: {**puzzle, "proof": " " + puzzle["proof"]},
        lambda puzzle: {**puzzle, "proof": ""},
    ],
)
def test_it_refuses_a_puzzle_it_did_not_hand_out_or_that_is_not_solved(tamper):
    puzzle = tamper(solved_puzzle())
    assert not ratelimit.puzzle_solved(**puzzle)


def test_it_refuses_a_puzzle_once_it_has_expired(monkeypatch):
    issued = time.time() - ratelimit.PUZZLE.seconds - 1
    with monkeypatch.context() as past:
        past.setattr(signing, "time", SimpleNamespace(time=lambda: issued))
        puzzle = solved_puzzle()
    assert not ratelimit.puzzle_solved(**puzzle)


def test_the_browser_limit_still_holds_with_solved_puzzles(cast, venue_used_up):
    phone = browser()
    for _ in range(ratelimit.LOGIN_PER_CLIENT.attempts):
        assert post(phone, "/api/login", {"code": random_code(), **solved_puzzle()}).status_code == 400
    refused = post(phone, "/api/login", {"code": cast.killer.login_code, **solved_puzzle()})
    assert refused.status_code == 429
    # Solving more puzzles would not help this browser: none is offered.
    assert "puzzle" not in refused.json()


@pytest.mark.django_db(transaction=True)
def test_a_burst_with_one_solved_puzzle_gets_one_guess_looked_at(cast):
    for i in range(ratelimit.LOGIN_PER_IP.attempts):
        try_login(guess_request(f"attacker-{i}"), random_code())
    puzzle = solved_puzzle()
    phones = [browser() for _ in range(12)]  # fresh browsers, all sent at the same moment
    statuses = at_once(*(partial(guess_from, phone, **puzzle) for phone in phones))
    assert sorted(statuses) == [400] + [429] * (len(phones) - 1)


def test_a_venue_below_its_limit_needs_no_puzzle(cast):
    assert post(browser(), "/api/login", {"code": cast.killer.login_code}).status_code == 200
    assert not RateLimitCounter.objects.filter(key__contains="login-puzzle").exists()


@pytest.mark.skipif(not redis_answers(), reason="no Redis server on 127.0.0.1:6379")
def test_a_solved_puzzle_is_used_once_in_redis_too():
    import redis

    server = redis.Redis.from_url(REDIS["default"]["LOCATION"])
    try:
        with override_settings(CACHES=REDIS):
            puzzle = solved_puzzle()
            assert ratelimit.puzzle_solved(**puzzle)
            assert not ratelimit.puzzle_solved(**puzzle)
        assert not RateLimitCounter.objects.exists()
    finally:
        for key in server.scan_iter(match=f"{REDIS['default']['KEY_PREFIX']}:*"):
            server.delete(key)
