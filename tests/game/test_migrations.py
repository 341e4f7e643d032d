"""Data migrations, run on the data they were written for."""

import importlib

import pytest
from django.apps import apps

from game import rules
from game.models import Game, Kill, Player
from tests.conftest import make_game

pytestmark = pytest.mark.django_db

stamps = importlib.import_module("game.migrations.0006_player_version_stamps")


def test_game_versions_move_past_their_players_versions():
    # Before 0006 a player's version counted their own changes and could run ahead of the game's.
    ahead, behind, empty = make_game(players=3), make_game(players=2), make_game(players=0)
    Game.objects.filter(pk=ahead.pk).update(version=4)
    Player.objects.filter(game=ahead).update(version=9)
    Game.objects.filter(pk=behind.pk).update(version=30)
    Player.objects.filter(game=behind).update(version=7)

    stamps.move_game_versions_past_players(apps, schema_editor=None)

    assert dict(Game.objects.values_list("pk", "version")) == {ahead.pk: 10, behind.pk: 31, empty.pk: 1}


rejected = importlib.import_module("game.migrations.0009_kill_status_rejected")


def test_kills_a_game_master_rejected_are_called_rejected(cast):
    # Before 0009 a rejected kill was kept as cancelled, like the ones the game cancelled itself.
    thrown_out = rules.kill_declare(killer=cast.killer, actor="player")
    rules.kill_reject(kill=thrown_out, actor="gm:gm", reason="No witness")
    cancelled = rules.kill_declare(killer=cast.killer, actor="player")
    rules.game_finish(game=cast.game, actor="gm:gm")  # cancels the kill that waits
    Kill.objects.filter(pk=thrown_out.pk).update(status="cancelled")

    rejected.rejected_kills(apps, schema_editor=None)

    assert Kill.objects.get(pk=thrown_out.pk).status == "rejected"
    assert Kill.objects.get(pk=cancelled.pk).status == "cancelled"
