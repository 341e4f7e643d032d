"""Nobody can keep a game master out of the admin: a browser that has logged in as a user before
counts its wrong passwords apart from strangers', and `manage.py unlock_admin` lifts a lockout."""

import uuid
from functools import partial
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory, override_settings

from game import ratelimit
from killer.views import admin_login
from tests.conftest import at_once
from tests.scale.conftest import REDIS_URL, answers

pytestmark = pytest.mark.django_db

VENUE_IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """Every attempt of a test in one window of every limit, however slow the machine."""
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_000_000.0)


def laptop(ip=VENUE_IP):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=ip, enforce_csrf_checks=True)
    client.get("/admin/login/")  # the CSRF cookie
    return client


def log_in(client, password, username="gm"):
    return client.post(
        "/admin/login/",
        {
            "username": username,
            "password": password,
            "next": "/admin/",
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )


def trusted_laptop():
    """The game master's laptop, logged in once before and out again."""
    client = laptop()
    assert log_in(client, "gm-password").status_code == 302
    client.post("/admin/logout/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert ratelimit.ADMIN_DEVICE_COOKIE in client.cookies
    return client


def stranger(username, password, i):
    """A fresh browser each time, from an address of its own."""
    request = RequestFactory().post(
        "/admin/login/",
        urlencode({"username": username, "password": password}),
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR=f"198.51.{i // 200}.{i % 200}",
    )
    request.COOKIES["csrftoken"] = f"browser-{i}"
    request.session = SessionStore()
    request.user = AnonymousUser()
    request._dont_enforce_csrf_checks = True
    return admin_login(request)


def use_up_the_user_name():
    for i in range(ratelimit.ADMIN_PER_USER.attempts):
        assert stranger("GM", "wrong", i).status_code == 200
    assert stranger("gm", "gm-password", 10_000).status_code == 429


def test_a_browser_that_logged_in_before_gets_in_while_strangers_used_up_the_user_name(game_master):
    client = trusted_laptop()
    use_up_the_user_name()
    response = log_in(client, "gm-password")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_fresh_browsers_are_still_stopped_when_the_user_name_is_used_up(game_master):
    use_up_the_user_name()
    client = laptop(ip="192.0.2.1")
    response = log_in(client, "gm-password")
    assert response.status_code == 429 and "Retry-After" in response
    assert ratelimit.ADMIN_DEVICE_COOKIE not in client.cookies


def test_a_device_cookie_for_another_user_or_forged_counts_as_a_stranger(game_master, django_user_model):
    django_user_model.objects.create_user(username="other", password="other-password", is_staff=True)
    theirs = laptop()
    assert log_in(theirs, "other-password", username="other").status_code == 302
    use_up_the_user_name()
    assert log_in(theirs, "gm-password").status_code == 429
    forged = laptop()
    forged.cookies[ratelimit.ADMIN_DEVICE_COOKIE] = theirs.cookies[
        ratelimit.ADMIN_DEVICE_COOKIE
    ].value.replace("other", "gm")
    assert log_in(forged, "gm-password").status_code == 429


def test_a_devices_own_wrong_passwords_lock_that_device_only(game_master):
    client = trusted_laptop()
    for _ in range(ratelimit.ADMIN_PER_DEVICE.attempts):
        assert log_in(client, "typo").status_code == 200
    assert log_in(client, "gm-password").status_code == 429
    # Neither the user name nor the venue's address paid for the device's typos.
    assert stranger("gm", "gm-password", 1).status_code == 302


def test_unlock_admin_lifts_the_lock_on_a_user_name(game_master):
    use_up_the_user_name()
    call_command("unlock_admin", "GM")
    assert log_in(laptop(ip="192.0.2.1"), "gm-password").status_code == 302


def test_unlock_admin_all_lifts_every_admin_limit(game_master):
    client = laptop()
    for _ in range(ratelimit.ADMIN_PER_CLIENT.attempts):
        assert log_in(client, "wrong", username="typo").status_code == 200
    use_up_the_user_name()
    call_command("unlock_admin", "--all")
    assert log_in(client, "gm-password").status_code == 302


def test_unlock_admin_wants_a_user_name_or_all(game_master):
    with pytest.raises(CommandError, match="Give a user name or --all"):
        call_command("unlock_admin")
    with pytest.raises(CommandError, match="Give a user name or --all"):
        call_command("unlock_admin", "gm", "--all")


@pytest.mark.skipif(not answers(6379), reason="no Redis on 127.0.0.1:6379")
def test_unlock_admin_all_forgets_the_admins_counters_in_redis_only(game_master):
    import redis

    # A prefix of this run's own: another run of the suite may share the Redis server.
    prefix = uuid.uuid4().hex
    redis_cache = {
        "default": {"BACKEND": "killer.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    }
    server = redis.Redis.from_url(REDIS_URL)
    try:
        with override_settings(CACHES=redis_cache):
            assert isinstance(ratelimit.store(), ratelimit.CacheStore)
            ratelimit.take(ratelimit.login_keys(RequestFactory().post("/api/login", REMOTE_ADDR=VENUE_IP)))
            use_up_the_user_name()
            call_command("unlock_admin", "--all")
            left = [key.decode() for key in server.scan_iter(match=f"{prefix}:*")]
            assert left and all(":rl:login-" in key for key in left)
            assert stranger("gm", "gm-password", 10_001).status_code == 302
    finally:
        for key in server.scan_iter(match=f"{prefix}:*"):
            server.delete(key)


def burst(clients, password):
    """Each client posts the password at the same moment: the statuses."""
    return [response.status_code for response in at_once(*(partial(log_in, c, password) for c in clients))]


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_a_device_gets_no_more_than_its_limit_looked_at(game_master):
    device = trusted_laptop().cookies[ratelimit.ADMIN_DEVICE_COOKIE].value
    clients = []
    for i in range(30):  # the device's cookie on 30 connections, each with a CSRF cookie of its own
        client = laptop(ip=f"192.0.2.{i}")
        client.cookies[ratelimit.ADMIN_DEVICE_COOKIE] = device
        clients.append(client)
    statuses = burst(clients, "wrong")
    assert sorted(statuses) == [200] * ratelimit.ADMIN_PER_DEVICE.attempts + [429] * (
        30 - ratelimit.ADMIN_PER_DEVICE.attempts
    )


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_strangers_gets_no_more_than_the_user_names_limit_looked_at(game_master, monkeypatch):
    monkeypatch.setattr(ratelimit, "ADMIN_PER_USER", ratelimit.Limit("admin-user", 10, 60 * 60))
    statuses = burst([laptop(ip=f"192.0.2.{i}") for i in range(30)], "wrong")
    assert sorted(statuses) == [200] * 10 + [429] * 20
