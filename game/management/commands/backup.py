"""A consistent copy of the whole database, taken while the game runs, keeping the last --keep copies.

SQLite: its online backup API copies the pages under the database's own locking, so a copy taken while
players write is as the database was at one moment. PostgreSQL: pg_dump, in its custom format (one
snapshot, restored with pg_restore). A copy is written under a temporary name and renamed when
complete: a file named like a backup is a whole one. docs/deploy.md says how to restore.
"""

import os
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

PREFIX = "killer-"
SUFFIXES = {"django.db.backends.sqlite3": ".sqlite3", "django.db.backends.postgresql": ".dump"}


class Command(BaseCommand):
    help = "Write a consistent copy of the database into BACKUP_DIR and keep the last --keep copies."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, help="Where the copies go (default: the BACKUP_DIR setting).")
        parser.add_argument("--keep", type=int, default=settings.BACKUP_KEEP, help="Copies to keep.")

    def handle(self, *args, dir=None, keep, **options):
        if keep < 1:
            raise CommandError("--keep must be at least 1: the copy just written is one.")
        database = connections["default"].settings_dict
        suffix = SUFFIXES.get(database["ENGINE"])
        if suffix is None:
            raise CommandError(f"No backup for the database engine {database['ENGINE']}.")
        folder = Path(dir or settings.BACKUP_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        # UTC and to the microsecond: names sort in the order the copies were taken.
        path = folder / f"{PREFIX}{datetime.now(UTC):%Y%m%d-%H%M%S-%f}{suffix}"
        partial = path.with_name(path.name + ".partial")
        try:
            if suffix == ".sqlite3":
                copy_sqlite(database["NAME"], partial)
            else:
                dump_postgresql(database, partial)
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)
        removed = remove_old(folder, suffix, keep)
        size = path.stat().st_size / 1_000_000
        self.stdout.write(
            f"backup: wrote {path} ({size:.1f} MB) in {time.monotonic() - started:.1f} s; "
            f"{len(removed)} older copies removed, {keep} kept at most"
        )


def copy_sqlite(name, target):
    source = sqlite3.connect(name)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()


def dump_postgresql(database, target):
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", "--dbname", database["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            command += [option, str(database[key])]
    env = os.environ | ({"PGPASSWORD": database["PASSWORD"]} if database.get("PASSWORD") else {})
    try:
        # The arguments come from the settings, as a list: no shell sees them.
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise CommandError("pg_dump is not installed (Debian: apt install postgresql-client).") from None
    if result.returncode != 0:
        raise CommandError(f"pg_dump failed: {result.stderr.strip()}")


def remove_old(folder, suffix, keep):
    copies = sorted(folder.glob(f"{PREFIX}*{suffix}"))
    old = copies[:-keep]
    for path in old:
        path.unlink()
    return old
