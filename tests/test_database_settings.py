"""The database settings: SQLite's options by default, a pool of connections per worker for PostgreSQL."""

import pytest

from tests.conftest import settings_from


def options(**env):
    [databases] = settings_from(
        ["DATABASES"], env=env, unset={"DATABASE_URL", "DATABASE_POOL_SIZE"} - set(env)
    )
    return databases["default"]["OPTIONS"]


def test_sqlite_takes_its_write_lock_at_begin():
    assert options()["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize(("size", "pool"), [(None, 10), ("4", 4), ("0", None)])
def test_postgresql_shares_a_pool_of_connections_in_each_worker(size, pool):
    env = {"DATABASE_URL": "postgres://killer@127.0.0.1:5432/killer"}
    if size is not None:
        env["DATABASE_POOL_SIZE"] = size
    got = options(**env).get("pool")
    assert (got and got["max_size"]) == pool
