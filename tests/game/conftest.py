"""The admin tests' other users and games; the cast and its game master are in tests/conftest.py."""

import pytest
from django.contrib.auth.models import User

from game.models import Event, Game, Kill, Mission, Player
from tests.conftest import link_cycle


@pytest.fixture
def staff_without_permissions(db):
    return User.objects.create_user("intern", password="intern-password", is_staff=True)


@pytest.fixture
def plain_user(db):
    return User.objects.create_user("someone", password="someone-password")


@pytest.fixture
def setup_game(db):
    game = Game.objects.create(name="Spring game")
    for text in ("Make them say 'banana'", "Get a high five", "Borrow their pen"):
        Mission.objects.create(game=game, text=text)
    return game


def snapshot(game):
    """Everything an undo must put back: the game's status and each player's place in the chain."""
    game.refresh_from_db()
    players = {
        p.name: (p.alive, p.target_id, p.mission_id, p.kill_count, p.eliminated_at)
        for p in game.players.all()
    }
    return game.status, game.winner_id, players


@pytest.fixture
def big_game(running_game):
    """A running game of 1,000 players in one cycle, with 300 kills and 1,000 events, for query counts."""
    game = running_game
    game.players.all().delete()
    game.events.all().delete()
    missions = list(game.missions.all())
    players = Player.objects.bulk_create(
        Player(game=game, name=f"Player {i:04}", group=f"Class {i % 12}", mission=missions[i % len(missions)])
        for i in range(1000)
    )
    link_cycle(players)
    Kill.objects.bulk_create(
        Kill(game=game, killer=players[i], victim=players[i + 1], method="declared", status="cancelled")
        for i in range(300)
    )
    Event.objects.bulk_create(
        Event(game=game, kind="player_joined", actor="gm:gm", player=players[i]) for i in range(1000)
    )
    return game
