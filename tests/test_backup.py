"""`manage.py backup`: a copy of the database that restores, taken while the game runs; the last N kept.

On SQLite (`make test`) and on PostgreSQL (.ci/run's second pass), whichever the suite runs on.
"""

import os
import sqlite3
import subprocess
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from game import rules
from game.models import Game, Player

pytestmark = pytest.mark.django_db(transaction=True)


def back_up(folder, **options):
    out = Output()
    call_command("backup", dir=folder, stdout=out, **options)
    return out.text


class Output:
    text = ""

    def write(self, text):
        self.text += text


@pytest.fixture
def game(db):
    game = Game.objects.create(name="Spring game")
    for number in range(30):
        rules.player_join(game=game, actor="gm", name=f"Player {number}", email="", group="")
    return game


def restored_names(path):
    """The player names in a copy, restored the way docs/deploy.md says."""
    if path.suffix == ".sqlite3":
        with sqlite3.connect(path) as restored:
            return {name for (name,) in restored.execute("SELECT name FROM game_player")}
    database = f"killer_restore_{os.getpid()}"
    settings = connection.settings_dict
    target = ["--host", settings["HOST"] or "127.0.0.1", "--port", str(settings["PORT"] or 5432)]
    target += ["--username", settings["USER"]]
    run("dropdb", "--if-exists", *target, database)
    run("createdb", *target, database)
    try:
        run("pg_restore", "--no-owner", *target, "--dbname", database, str(path))
        names = run("psql", *target, "--dbname", database, "-At", "-c", "SELECT name FROM game_player")
        return {name for name in names.split("\n") if name}
    finally:
        run("dropdb", "--if-exists", *target, database)


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120).stdout  # noqa: S603


def test_a_copy_restores_the_game_as_it_was(game, tmp_path):
    output = back_up(tmp_path)

    [path] = tmp_path.glob("killer-*")
    Player.objects.filter(name="Player 3").delete()
    assert restored_names(path) == {f"Player {number}" for number in range(30)}
    assert output.startswith(f"backup: wrote {path} (")


def test_a_copy_taken_while_players_write_is_whole(game, tmp_path):
    stop = threading.Event()

    def renames():
        player = Player.objects.get(name="Player 0")
        number = 0
        while not stop.is_set():
            number += 1
            rules.player_update(player=player, actor="gm", name=f"Renamed {number}")
        connection.close()

    writer = threading.Thread(target=renames)
    writer.start()
    try:
        for _ in range(3):
            back_up(tmp_path)
    finally:
        stop.set()
        writer.join()

    for path in tmp_path.glob("killer-*"):
        names = restored_names(path)
        assert len(names) == 30
        assert {f"Player {number}" for number in range(1, 30)} <= names


def test_only_the_last_copies_are_kept(game, tmp_path):
    for _ in range(4):
        back_up(tmp_path, keep=2)

    first, second = sorted(tmp_path.glob("killer-*"))
    output = back_up(tmp_path, keep=2)

    assert "1 older copies removed" in output
    assert sorted(tmp_path.glob("killer-*"))[0] == second
    assert not list(tmp_path.glob("*.partial"))


def test_it_refuses_to_keep_nothing(db, tmp_path):
    with pytest.raises(CommandError, match="at least 1"):
        back_up(tmp_path, keep=0)
    assert not list(tmp_path.iterdir())
