"""Guessing codes and passwords: limited per browser and per address, never locking a venue out."""

import contextlib
import logging
import secrets
import socket
import uuid
from functools import partial
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory, override_settings

from game import codes, players, ratelimit
from game.models import Kill, RateLimitCounter
from killer.views import admin_login
from tests.conftest import at_once, fresh

pytestmark = pytest.mark.django_db

VENUE_IP = "203.0.113.7"


def random_code():
    return "".join(secrets.choice(codes.ALPHABET) for _ in range(codes.LOGIN_CODE_LENGTH))


def browser(ip=VENUE_IP):
    """A phone on the venue's Wi-Fi, with its CSRF cookie (as after opening any page)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=ip, enforce_csrf_checks=True)
    client.get("/api/me")
    return client


def post(client, path, body=None):
    return client.post(
        path, body or {}, content_type="application/json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value
    )


def guess_request(cookie, ip=VENUE_IP):
    request = RequestFactory().post("/api/login", REMOTE_ADDR=ip)
    request.COOKIES["csrftoken"] = cookie
    request.session = SessionStore()
    return request


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """Every guess of a test in one window of every limit: thousands of guesses may take long enough
    on a busy machine (or PostgreSQL) to cross a window's edge, which starts the counts over. Tests of
    the windows themselves move this clock."""
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_000_000.0)


@pytest.fixture
def quiet(caplog):
    """Thousands of refusals would each log a warning: that costs more than the test itself."""
    caplog.set_level(logging.ERROR, logger="game.ratelimit")


def try_login(request, code):
    try:
        return players.log_in_with_code(request, code)
    except ratelimit.RateLimited:
        return "limited"


def test_ten_thousand_guesses_from_one_browser_get_nobody_in(cast, quiet):
    request = guess_request("attacker-browser")
    # The real code is hidden among the guesses, after the limit has been reached.
    guesses = [random_code() for _ in range(10_000)]
    guesses[5_000] = cast.killer.login_code
    results = [try_login(request, code) for code in guesses]
    assert [r for r in results if r not in (None, "limited")] == []
    assert results.count(None) == ratelimit.LOGIN_PER_CLIENT.attempts
    # A player at the same venue, on their own phone, still logs in.
    assert post(browser(), "/api/login", {"code": cast.victim.login_code}).status_code == 200


def test_a_browser_that_drops_its_cookies_is_stopped_by_the_address_limit(cast, quiet):
    guesses = [random_code() for _ in range(2_000)]
    guesses[-1] = cast.killer.login_code
    results = [try_login(guess_request(f"fresh-{i}"), code) for i, code in enumerate(guesses)]
    assert [r for r in results if r not in (None, "limited")] == []
    assert results.count(None) == ratelimit.LOGIN_PER_IP.attempts
    # Another address (mobile data) is not affected.
    assert post(browser("198.51.100.1"), "/api/login", {"code": cast.victim.login_code}).status_code == 200


def test_the_address_limit_ends_with_its_window(cast, monkeypatch, quiet):
    clock = [1_000_000.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: clock[0])
    for i in range(ratelimit.LOGIN_PER_IP.attempts):
        try_login(guess_request(f"fresh-{i}"), "WRONG")
    assert try_login(guess_request("new"), cast.killer.login_code) == "limited"
    clock[0] += ratelimit.LOGIN_PER_IP.seconds
    assert try_login(guess_request("new"), cast.killer.login_code) == fresh(cast.killer)


def test_the_api_answers_429_with_retry_after_and_a_json_error(cast):
    client = browser()
    for _ in range(ratelimit.LOGIN_PER_CLIENT.attempts):
        assert post(client, "/api/login", {"code": random_code()}).status_code == 400
    response = post(client, "/api/login", {"code": cast.killer.login_code})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= ratelimit.LOGIN_PER_CLIENT.seconds
    assert response.json()["error"].startswith("Too many failed attempts. Try again in")
    assert client.get("/api/me").status_code == 401


def test_the_login_form_and_the_api_share_the_limit(cast):
    client = browser()
    for _ in range(5):
        assert client.post("/", {"code": "WRONG", "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
        assert post(client, "/api/login", {"code": random_code()}).status_code == 400
    response = post(client, "/api/login", {"code": cast.killer.login_code})
    assert response.status_code == 429 and "Retry-After" in response
    form = client.post(
        "/", {"code": cast.killer.login_code, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )
    assert form.status_code == 429 and "Retry-After" in form
    assert client.get("/me/").status_code == 302


def test_a_right_code_does_not_count(cast):
    client = browser()
    for _ in range(ratelimit.LOGIN_PER_CLIENT.attempts * 2):
        assert post(client, "/api/login", {"code": cast.killer.login_code}).status_code == 200
    # Each was counted while it was looked at, then given back.
    assert set(RateLimitCounter.objects.values_list("count", flat=True)) <= {0}


def test_death_code_guesses_are_limited_per_player(cast):
    client = browser()
    post(client, "/api/login", {"code": cast.killer.login_code})
    for _ in range(ratelimit.DEATH_CODE_PER_PLAYER.attempts):
        assert post(client, "/api/kills", {"death_code": "WRONG"}).status_code == 400
    # Even the right code now: the limit answers before the code is looked at.
    response = post(client, "/api/kills", {"death_code": cast.victim.death_code})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many failed attempts" in response.json()["error"]
    assert not Kill.objects.exists()
    # The page form too, from another phone logged in as the same player.
    other = browser("198.51.100.2")
    post(other, "/api/login", {"code": cast.killer.login_code})
    page = other.post(
        "/me/death-code/",
        {"death_code": cast.victim.death_code, "csrfmiddlewaretoken": other.cookies["csrftoken"].value},
    )
    assert page.status_code == 429 and "Retry-After" in page
    assert fresh(cast.victim).alive
    # Other players' guesses are not affected.
    victim = browser()
    post(victim, "/api/login", {"code": cast.victim.login_code})
    assert post(victim, "/api/kills", {"death_code": cast.bystander.death_code}).status_code == 201


def test_the_page_form_counts_wrong_death_codes(cast):
    client = browser()
    post(client, "/api/login", {"code": cast.killer.login_code})
    token = client.cookies["csrftoken"].value
    for _ in range(ratelimit.DEATH_CODE_PER_PLAYER.attempts):
        response = client.post("/me/death-code/", {"death_code": "WRONG", "csrfmiddlewaretoken": token})
        assert response.status_code == 302
    response = client.post(
        "/me/death-code/", {"death_code": cast.victim.death_code, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 429


def admin_request(cookie, username, password, ip=VENUE_IP):
    # URL-encoded, as browsers send the login form (and quicker to parse than multipart).
    request = RequestFactory().post(
        "/admin/login/",
        urlencode({"username": username, "password": password}),
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR=ip,
    )
    request.COOKIES["csrftoken"] = cookie
    request.session = SessionStore()
    request.user = AnonymousUser()
    request._dont_enforce_csrf_checks = True
    return request


def test_admin_password_guesses_from_one_browser_get_nobody_in(game_master):
    # As many guesses as the user name's and the address's limits allow: if refused guesses counted
    # against them, the game master's own laptop below would be refused too.
    guesses = max(ratelimit.ADMIN_PER_USER.attempts, ratelimit.ADMIN_PER_IP.attempts)
    outcomes = []
    for i in range(guesses):
        # The right password comes right after the browser's limit is reached.
        password = "gm-password" if i == ratelimit.ADMIN_PER_CLIENT.attempts else f"guess-{i}"
        request = admin_request("attacker-browser", "gm", password)
        response = admin_login(request)
        outcomes.append(response.status_code)
        assert not request.user.is_authenticated
    assert outcomes.count(200) == ratelimit.ADMIN_PER_CLIENT.attempts
    assert outcomes.count(429) == guesses - ratelimit.ADMIN_PER_CLIENT.attempts
    # The game master, at the same venue, on their own laptop, still logs in with Django's form.
    laptop = Client(REMOTE_ADDR=VENUE_IP, enforce_csrf_checks=True)
    laptop.get("/admin/login/")
    response = laptop.post(
        "/admin/login/",
        {
            "username": "gm",
            "password": "gm-password",
            "next": "/admin/",
            "csrfmiddlewaretoken": laptop.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert laptop.get("/admin/").status_code == 200


def test_admin_guesses_on_one_user_name_are_limited_from_any_address(game_master):
    for i in range(ratelimit.ADMIN_PER_USER.attempts):
        admin_login(admin_request(f"browser-{i}", "GM", "wrong", ip=f"198.51.100.{i % 200}"))
    response = admin_login(admin_request("new", "gm", "gm-password", ip="192.0.2.1"))
    assert response.status_code == 429 and "Retry-After" in response


def test_the_admin_page_says_why(game_master):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(ratelimit.ADMIN_PER_IP.attempts):
        client.cookies.clear()
        assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 200
    response = client.post("/admin/login/", {"username": "gm", "password": "gm-password"})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()


def redis_answers():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


# A prefix of this run's own: another run of the suite may share the Redis server.
REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/5",
        "KEY_PREFIX": uuid.uuid4().hex,
    }
}


@pytest.mark.skipif(not redis_answers(), reason="no Redis server on 127.0.0.1:6379")
def test_the_counters_live_in_redis_when_it_is_configured(cast):
    import redis

    server = redis.Redis.from_url(REDIS["default"]["LOCATION"])
    ours = f"{REDIS['default']['KEY_PREFIX']}:*"
    try:
        with override_settings(CACHES=REDIS):
            assert isinstance(ratelimit.store(), ratelimit.CacheStore)
            client = browser()
            for _ in range(ratelimit.LOGIN_PER_CLIENT.attempts):
                assert post(client, "/api/login", {"code": random_code()}).status_code == 400
            response = post(client, "/api/login", {"code": cast.killer.login_code})
            assert response.status_code == 429 and "Retry-After" in response
            assert post(browser(), "/api/login", {"code": cast.victim.login_code}).status_code == 200
        assert not RateLimitCounter.objects.exists()
        assert any(b"rl:login-client" in key for key in server.scan_iter(match=ours))
    finally:
        for key in server.scan_iter(match=ours):
            server.delete(key)


def test_behind_the_proxy_the_address_is_the_one_nginx_saw(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    settings.BEHIND_TLS_PROXY = False
    assert ratelimit.client_ip(request) == "127.0.0.1"
    settings.BEHIND_TLS_PROXY = True
    # The first entries are whatever the client sent; the last is what nginx appended.
    assert ratelimit.client_ip(request) == "203.0.113.7"


@pytest.mark.django_db(transaction=True)
def test_failures_at_the_same_moment_all_count_in_the_database(monkeypatch):
    # One window for all of them, even if the clock crosses a window's edge meanwhile.
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_000_000.0)
    keys = [(ratelimit.LOGIN_PER_IP, VENUE_IP)]

    def guess():
        with contextlib.suppress(ratelimit.RateLimited):
            ratelimit.take(keys)

    at_once(*[guess] * 12)
    assert list(RateLimitCounter.objects.values_list("count", flat=True)) == [12]


def guess_from(phone, **puzzle):
    """A wrong login code from this phone: the answer's status."""
    return post(phone, "/api/login", {"code": random_code(), **puzzle}).status_code


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_guesses_at_once_gets_no_more_than_the_limit_looked_at(cast):
    token = browser().cookies["csrftoken"].value
    phones = []
    for _ in range(30):  # one browser's cookie on 30 connections, all sent at the same moment
        phone = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=VENUE_IP)
        phone.cookies["csrftoken"] = token
        phones.append(phone)
    statuses = at_once(*(partial(guess_from, phone) for phone in phones))

    assert sorted(set(statuses)) == [400, 429]
    assert statuses.count(400) == ratelimit.LOGIN_PER_CLIENT.attempts
