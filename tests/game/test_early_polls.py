"""Polls of unchanged pages answered before Django handles the request (killer/wsgi.py, with
killer/early.py): the same 304 as Django's, and anything it cannot vouch for left to Django."""

import pytest
from django.test import RequestFactory

from game import rules
from killer.early import unchanged_poll
from killer.wsgi import application
from tests.conftest import forget_caches, forget_process_memory, login

pytestmark = pytest.mark.django_db

IGNORED = {"X-Request-ID", "Content-Length"}  # a new id each time; Django counts the empty body


@pytest.fixture(autouse=True)
def cached_sessions(settings):
    """Sessions kept in the cache (and the database), where the early answer can read them."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def phone(client, cast):
    """The victim's phone (in English), after polls that went through Django: the cache holds its
    session and its login fingerprint, this process the versions and the sessions' epoch."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, cast.victim)
    client.tag = client.get("/api/me")["ETag"]
    unchanged_poll(environ(client))  # as killer/wsgi.py asks first: it reads the sessions' epoch
    client.django_304 = client.get("/api/me", HTTP_IF_NONE_MATCH=client.tag)
    assert client.django_304.status_code == 304
    return client


def cookies_of(phone):
    return "; ".join(f"{name}={morsel.value}" for name, morsel in phone.cookies.items())


def environ(phone, path="/api/me", *, method="get", **headers):
    """The WSGI environ of the phone's poll (its cookies, ETag and language), changed by `headers`."""
    headers = {
        "HTTP_COOKIE": cookies_of(phone),
        "HTTP_IF_NONE_MATCH": phone.tag,
        "HTTP_ACCEPT_LANGUAGE": "en",
        **headers,
    }
    return getattr(RequestFactory(), method)(path, **headers).environ


def early(phone, *args, **kwargs):
    """(status, headers) of a request answered by the WSGI application before Django."""
    answers = []

    def start_response(status, headers):
        answers.append((status, dict(headers)))

    assert list(application(environ(phone, *args, **kwargs), start_response)) == []
    return answers[0]


def test_an_unchanged_page_gets_the_same_304_as_through_django(phone, django_assert_num_queries):
    with django_assert_num_queries(0):
        status, headers = early(phone)
        assert early(phone)[0] == status  # and again, from the session this process remembers

    assert status == "304 Not Modified"
    through_django = {name: value for name, value in phone.django_304.items() if name not in IGNORED}
    assert {name: value for name, value in headers.items() if name not in IGNORED} == through_django
    assert len(headers["X-Request-ID"]) == 32


def test_the_tag_as_nginx_hands_it_back(phone):
    status, _ = early(phone, HTTP_IF_NONE_MATCH=f"W/{phone.tag}")
    assert status == "304 Not Modified"


def test_over_https_it_has_the_https_headers(phone, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_SSL_REDIRECT = True

    status, headers = early(phone, secure=True)

    assert status == "304 Not Modified"
    assert headers["Strict-Transport-Security"] == "max-age=3600"


@pytest.mark.parametrize(
    "left_to_django",
    [
        pytest.param({"HTTP_IF_NONE_MATCH": '"me-0-0-en"'}, id="another tag"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "fr"}, id="another language: the JSON in French"),
        pytest.param({"HTTP_HOST": "evil.example"}, id="a host not allowed"),
        pytest.param({"method": "post"}, id="not a GET"),
        pytest.param({"path": "/api/kills"}, id="not a polled endpoint"),
        pytest.param({"path": "/api/nowhere"}, id="no endpoint"),
        pytest.param({"HTTP_COOKIE": ""}, id="no session"),
    ],
)
def test_what_it_cannot_vouch_for_is_left_to_django(phone, left_to_django):
    assert unchanged_poll(environ(phone)) is not None
    assert unchanged_poll(environ(phone, **left_to_django)) is None


def test_plain_http_is_left_to_django_where_it_redirects_to_https(phone, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert unchanged_poll(environ(phone)) is None


def test_a_change_is_left_to_django_which_reads_it(phone, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rules.kill_declare(killer=cast.killer, actor="killer")

    assert unchanged_poll(environ(phone)) is None
    assert phone.get("/api/me", HTTP_IF_NONE_MATCH=phone.tag).status_code == 200


def test_a_session_the_cache_no_longer_holds_is_left_to_django(phone):
    forget_caches()  # as a worker that never saw this phone, with a cold cache

    assert unchanged_poll(environ(phone)) is None


def test_sessions_only_in_the_database_are_left_to_django_in_a_process_that_never_checked_them(
    phone, settings
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    forget_process_memory()

    assert unchanged_poll(environ(phone)) is None


@pytest.mark.parametrize("engine", ["db", "cached_db"])
def test_a_session_djangos_poll_path_checked_gets_the_304_here_with_a_cache_per_process(
    client, cast, settings, engine, django_assert_num_queries
):
    """The production template's defaults: sessions in the database, a cache per process (so another
    process's login left nothing in this one's cache)."""
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, cast.victim)
    client.tag = client.get("/api/me")["ETag"]
    forget_caches()  # as another worker, which never saw this phone
    assert unchanged_poll(environ(client)) is None  # as killer/wsgi.py asks first: reads the epoch
    assert client.get("/api/me", HTTP_IF_NONE_MATCH=client.tag).status_code == 304  # through Django

    with django_assert_num_queries(0):
        headers = unchanged_poll(environ(client))
    assert headers is not None and dict(headers)["ETag"] == client.tag


@pytest.mark.parametrize("key", ["short", "x" * 40, "../../etc"])
def test_a_made_up_session_key_is_left_to_django(phone, key, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert unchanged_poll(environ(phone, HTTP_COOKIE=f"sessionid={key}")) is None


def test_a_logout_is_forgotten_at_once(phone):
    before = cookies_of(phone)
    assert unchanged_poll(environ(phone)) is not None  # this process remembers the session

    phone.post("/api/logout", content_type="application/json")

    assert unchanged_poll(environ(phone, HTTP_COOKIE=before)) is None


def test_new_login_codes_are_left_to_django_which_ends_the_session(
    phone, cast, django_capture_on_commit_callbacks
):
    assert unchanged_poll(environ(phone)) is not None  # this process remembers the session
    with django_capture_on_commit_callbacks(execute=True):
        rules.player_new_codes(player=cast.victim, actor="gm", death=False)

    assert unchanged_poll(environ(phone)) is None
    assert phone.get("/api/me", HTTP_IF_NONE_MATCH=phone.tag).status_code == 401
    assert unchanged_poll(environ(phone)) is None


def test_a_deleted_player_is_left_to_django(phone, cast, django_capture_on_commit_callbacks):
    assert unchanged_poll(environ(phone)) is not None  # this process remembers the session
    cast.game.status = "setup"
    cast.game.save()
    with django_capture_on_commit_callbacks(execute=True):
        rules.player_delete(player=cast.victim, actor="gm")

    assert unchanged_poll(environ(phone)) is None


@pytest.mark.parametrize("path", ["/api/me", "/api/leaderboard", "/api/feed"])
def test_a_star_gets_no_304_from_anyone(phone, path):
    assert unchanged_poll(environ(phone, path, HTTP_IF_NONE_MATCH="*")) is None
    assert phone.get(path, HTTP_IF_NONE_MATCH="*").status_code == 200
