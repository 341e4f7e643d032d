"""The shared cast: a game master and a running game whose chain is
hunter → killer → victim → bystander → hunter."""

import json
import os
import socket
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation

from game import polls, rules
from game.models import Game, Mission, Player


def make_game(*, players=4, missions=6, start=False, **options):
    game = Game.objects.create(name="Test game", **options)
    Mission.objects.bulk_create(Mission(game=game, text=f"Mission {i}") for i in range(missions))
    Player.objects.bulk_create(Player(game=game, name=f"Player {i}") for i in range(players))
    if start:
        rules.game_start(game=game, actor="test")
        game.refresh_from_db()
    return game


FIXED_CHAIN = ["Killer", "Victim", "Bystander", "Hunter"]


def start_fixed_chain(game):
    """Add Killer → Victim → Bystander → Hunter → Killer to `game`, holding its missions in turn, and
    mark it running. Set up directly so tests can name who hunts whom; games start through the rules."""
    missions = list(game.missions.order_by("pk"))
    players = [
        Player.objects.create(
            game=game, name=name, email=f"{name.lower()}@example.org", mission=missions[i % len(missions)]
        )
        for i, name in enumerate(FIXED_CHAIN)
    ]
    link_cycle(players)
    game.status = Game.Status.RUNNING
    game.started_at = timezone.now()
    game.save()
    return game


def link_cycle(players):
    """Each player hunts the next; the last hunts the first. Test setup only: games use the rules."""
    for i, player in enumerate(players):
        player.target = players[(i + 1) % len(players)]
    Player.objects.bulk_update(players, ["target"])


def fixed_cast(game):
    """The players of a fixed chain by role: fixed_cast(game)["victim"]."""
    return {p.name.lower(): p for p in game.players.all()}


def chain_from(player):
    """The alive players in hunting order, starting at `player`."""
    order = [player]
    current = Player.objects.get(pk=player.target_id)
    while current.pk != player.pk:
        order.append(current)
        current = Player.objects.get(pk=current.target_id)
    return order


def fresh(obj):
    obj.refresh_from_db()
    return obj


def forget_caches():
    """The cache, and this process's own memory (forget_process_memory): as a fresh process with a
    cold cache finds them."""
    cache.clear()
    forget_process_memory()


def forget_process_memory():
    """This process's own memories that answer polls (game/polls.py), as another process has none."""
    polls.forget_all()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached pages are keyed by game and version, and a rolled-back game's id comes back."""
    forget_caches()


@pytest.fixture(autouse=True)
def _english():
    """Messages in English, as the tests read them, whichever test ran before in this thread; a
    request still picks its own language (French by default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """Tests read English; French, the default, has tests of its own."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def game_master(django_user_model):
    return django_user_model.objects.create_user(username="gm", password="gm-password", is_staff=True)


def _cast(players=4, **options):
    game = make_game(players=players, start=True, **options)
    killer = game.players.order_by("pk").first()
    killer, victim, bystander, *_, hunter = chain_from(killer)
    return SimpleNamespace(game=game, killer=killer, victim=victim, bystander=bystander, hunter=hunter)


@pytest.fixture
def cast(db):
    return _cast()


@pytest.fixture
def make_cast(db):
    return _cast


def login(client, player):
    response = client.post("/api/login", {"code": player.login_code}, content_type="application/json")
    assert response.status_code == 200, response.content
    return client


def free_port():
    """A TCP port free on 127.0.0.1 now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_from(names, *, env, unset=()):
    """The project's settings `names`, as killer/settings.py computes them from the environment plus
    `env` and without `unset`, in a new process."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "killer.settings", **env}
    for name in unset:
        environment.pop(name, None)
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps([getattr(s, n) for n in {list(names)!r}], default=str))"
    )
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output)
