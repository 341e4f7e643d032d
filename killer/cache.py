"""Django's Redis cache backend, with one Redis client per process instead of one per request.

Django keeps a cache object per thread, and under gevent workers every connection is a greenlet, so
each phone got its own connection pool and Redis connection. Django's client also builds a new
`redis.Redis` for every command, which costs more than the command itself (redis-py fills its table
of response callbacks each time; docs/load-tests.md). Here every cache object of a process shares one
client, and so one pool of connections, per server; redis-py's pool is safe across threads and
greenlets and starts over in a forked child.
"""

from django.core.cache.backends import redis

_clients = {}


class RedisCacheClient(redis.RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        server = self._servers[self._get_connection_pool_index(write)]
        client = _clients.get(server)
        if client is None:
            client = _clients[server] = super().get_client(key, write=write)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
        # A bounded pool where a request waits for a free connection as long as it takes: redis-py's
        # default pool refuses a connection past its limit. Under gevent a connection stays taken until
        # its greenlet's turn comes round again, which in a burst of a thousand requests on one worker
        # is seconds; a bounded wait turned that into 500s (tests/test_guess_burst.py). A Redis that is
        # down still fails at once: nobody waits for a connection that cannot be made. OPTIONS can
        # change both.
        self._options = {
            "pool_class": "redis.BlockingConnectionPool",
            "max_connections": 50,
            "timeout": None,
            **self._options,
        }
