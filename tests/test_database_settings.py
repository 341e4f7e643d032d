"""The database settings: SQLite's options by default, a pool of connections per worker for PostgreSQL."""

import json
import os
import subprocess
import sys

import pytest

CODE = (
    "from django.conf import settings as s; import json; print(json.dumps(s.DATABASES['default']['OPTIONS']))"
)


def options(**env):
    environment = dict(os.environ, DJANGO_SETTINGS_MODULE="killer.settings", **env)
    for name in ("DATABASE_URL", "DATABASE_POOL_SIZE"):
        if name not in env:
            environment.pop(name, None)
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {CODE}"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def test_sqlite_takes_its_write_lock_at_begin():
    assert options()["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize(("size", "pool"), [(None, 10), ("4", 4), ("0", None)])
def test_postgresql_shares_a_pool_of_connections_in_each_worker(size, pool):
    env = {"DATABASE_URL": "postgres://killer@127.0.0.1:5432/killer"}
    if size is not None:
        env["DATABASE_POOL_SIZE"] = size
    got = options(**env).get("pool")
    assert (got and got["max_size"]) == pool
