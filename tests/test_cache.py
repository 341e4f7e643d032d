"""killer/cache.py: every cache object of a process shares one Redis client, so a thread (or a
gevent worker's greenlet, one per connection) does not open Redis connections of its own."""

import threading
import uuid

import pytest
from django.core.cache import caches

from tests.conftest import settings_from
from tests.scale.conftest import REDIS_URL, answers

pytestmark = pytest.mark.skipif(not answers(6379), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture
def redis_cache(settings):
    # A prefix of this run's own: another run of the suite may share the Redis server.
    settings.CACHES = {
        "default": {
            "BACKEND": "killer.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": uuid.uuid4().hex,
        }
    }
    caches["default"].set("probe", 1)
    return caches["default"]


def test_caches_in_other_threads_share_the_client_and_its_connection(redis_cache):
    client = redis_cache._cache.get_client()
    seen = []

    def use_the_cache():
        cache = caches["default"]  # a new cache object: Django keeps one per thread
        assert cache is not redis_cache
        assert cache.get("probe") == 1
        seen.append(cache._cache.get_client())

    for _ in range(10):  # one after the other, as a worker's requests often come
        thread = threading.Thread(target=use_the_cache)
        thread.start()
        thread.join()
    assert len(seen) == 10 and all(other is client for other in seen)
    pool = client.connection_pool
    assert len(pool._connections) == 1  # every connection the pool made


def test_more_requests_at_once_than_connections_wait_for_one(redis_cache):
    """200 threads reading at once share the pool's 50 connections, none refused (redis-py's own
    pool raised MaxConnectionsError past 100)."""
    results, start = [], threading.Barrier(200)

    def read():
        start.wait()
        results.append(caches["default"].get("probe"))

    threads = [threading.Thread(target=read) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1] * 200
    pool = redis_cache._cache.get_client().connection_pool
    assert pool.max_connections == 50 and len(pool._connections) <= 50


@pytest.mark.parametrize(
    ("cache_url", "backend", "version_seconds"),
    [
        ("locmemcache://", "django.core.cache.backends.locmem.LocMemCache", 2),
        (REDIS_URL, "killer.cache.RedisCache", 30),
    ],
)
def test_the_settings_pick_the_backend_and_how_long_versions_are_trusted(cache_url, backend, version_seconds):
    caches, seconds = settings_from(
        ["CACHES", "VERSION_CACHE_SECONDS"], env={"CACHE_URL": cache_url}, unset=["VERSION_CACHE_SECONDS"]
    )
    assert (caches["default"]["BACKEND"], seconds) == (backend, version_seconds)
