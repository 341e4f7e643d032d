"""The admin tests' cast: a game master, and a running game where the killer hunts the victim.

Names differ from the fixtures in tests/conftest.py (`gm_user`, `running_game`) so as not to shadow them.

The chain of `running_game` is fixed (tests/conftest.py: start_fixed_chain) so tests can name who
hunts whom: killer → victim → bystander → hunter → killer.
"""

import pytest
from django.contrib.auth.models import Permission, User

from game.models import Event, Game, Kill, Mission, Player
from tests.conftest import fixed_cast, link_cycle, start_fixed_chain


@pytest.fixture
def gm_user(db):
    user = User.objects.create_user("gm", password="gm-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="game"))
    return user


@pytest.fixture
def gm_client(client, gm_user):
    client.force_login(gm_user)
    # French is the default; the tests read the English messages.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


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


@pytest.fixture
def running_game(setup_game):
    return start_fixed_chain(setup_game)


@pytest.fixture
def killer(running_game):
    return fixed_cast(running_game)["killer"]


@pytest.fixture
def victim(running_game):
    return fixed_cast(running_game)["victim"]


@pytest.fixture
def bystander(running_game):
    return fixed_cast(running_game)["bystander"]


@pytest.fixture
def hunter(running_game):
    return fixed_cast(running_game)["hunter"]


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
    missions = list(game.missions.all())
    players = Player.objects.bulk_create(
        Player(game=game, name=f"Player {i:04}", group=f"Class {i % 12}", mission=missions[i % 3])
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
