"""What the poll path leans on, pinned: the middleware the early answer must know of, and the private
shapes of Django, gunicorn and redis-py it relies on. An upgrade that changes one fails here, loudly,
rather than making polls quietly slow or wrong."""

import inspect

import pytest
from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.core.cache import caches
from django.core.cache.backends import redis as django_redis
from gunicorn.workers import ggevent

from game import polls
from killer import early, workers
from killer.cache import RedisCache


def test_every_middleware_in_the_settings_is_run_early_or_said_to_be_not_needed():
    run, skipped = set(early.HEADER_MIDDLEWARE), set(early.NOT_NEEDED)
    assert not run & skipped
    assert set(settings.MIDDLEWARE) - run - skipped == set(), "killer/early.py: run it early, or say why not"
    assert run | skipped <= set(settings.MIDDLEWARE), "killer/early.py lists a middleware the settings lost"


def test_a_new_middleware_is_caught(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    with pytest.raises(AssertionError, match="run it early, or say why not"):
        test_every_middleware_in_the_settings_is_run_early_or_said_to_be_not_needed()


@pytest.mark.django_db
def test_the_cached_db_session_lives_in_the_cache_under_cache_key(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    session = cached_db.SessionStore()
    session.update({polls.SESSION_KEY: 7, polls.GAME_SESSION_KEY: 3})
    session.save()

    assert polls.session_cache_key(session.session_key) == session.cache_key
    assert caches[settings.SESSION_CACHE_ALIAS].get(session.cache_key)[polls.SESSION_KEY] == 7
    assert polls.session_cache_key("short") is None  # Django would make up a new one


def test_the_database_session_engine_keeps_nothing_in_the_cache(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    assert polls.session_cache_key("a" * 32) is None


def test_gunicorns_gevent_pywsgi_worker_takes_our_handler_as_it_did():
    # killer/workers.py sets `wsgi_handler` before init_process(), which builds the server with it.
    assert issubclass(workers.GeventWorker, ggevent.GeventPyWSGIWorker)
    assert ggevent.GeventPyWSGIWorker.wsgi_handler is ggevent.PyWSGIHandler
    assert "wsgi_handler" in inspect.getsource(ggevent.GeventWorker.run)
    assert "def handle(self)" in inspect.getsource(ggevent.PyWSGIHandler.__mro__[1])


def test_djangos_redis_backend_builds_its_client_as_we_replace_it():
    # killer/cache.py swaps `_class` and overrides get_client(); Django's backend must still use both.
    source = inspect.getsource(django_redis.RedisCache)
    assert "self._class(" in source
    assert "_servers" in inspect.getsource(django_redis.RedisCacheClient.__init__)
    assert callable(django_redis.RedisCacheClient._get_connection_pool_index)
    assert RedisCache("redis://127.0.0.1:6379/0", {})._class is not django_redis.RedisCacheClient
