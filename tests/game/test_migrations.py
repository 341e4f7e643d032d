"""Data migrations, run on the data they were written for."""

import importlib

import pytest
from django.apps import apps

from game.models import Game, Player
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
