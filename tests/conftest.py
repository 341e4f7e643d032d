"""The shared cast: a game master, and a running game whose chain is fixed so tests can name who
hunts whom: killer → victim → bystander → hunter → killer."""

import contextlib
import csv
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection as db_connection
from django.test import Client
from django.utils import translation

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


MISSIONS = ("Make them say banana", "Get a high five")


def build_cast(*, players=4, **options):
    """A game of `players` (4 or more) started through the rules (its event, its versions), then its
    chain and missions arranged so tests can name who hunts whom: Killer → Victim → Bystander → ... →
    Hunter → Killer, holding the MISSIONS in turn."""
    game = Game.objects.create(name="Spring game", **options)
    missions = Mission.objects.bulk_create(Mission(game=game, text=text) for text in MISSIONS)
    names = ["Killer", "Victim", "Bystander", *(f"Player {i}" for i in range(3, players - 1)), "Hunter"]
    chain = Player.objects.bulk_create(
        Player(game=game, name=name, email=f"{name.lower().replace(' ', '-')}@example.org") for name in names
    )
    rules.game_start(game=game, actor="test")
    for i, player in enumerate(chain):
        player.mission = missions[i % len(missions)]
    # The start made a random chain; its targets go first, as one hunter per target is checked row by row.
    Player.objects.filter(game=game).update(target=None)
    link_cycle(chain)
    Player.objects.bulk_update(chain, ["mission"])
    game.refresh_from_db()
    killer, victim, bystander, *_, hunter = chain_from(Player.objects.get(pk=chain[0].pk))
    return SimpleNamespace(game=game, killer=killer, victim=victim, bystander=bystander, hunter=hunter)


def link_cycle(players):
    """Each player hunts the next; the last hunts the first. Test setup only: games use the rules."""
    for i, player in enumerate(players):
        player.target = players[(i + 1) % len(players)]
    Player.objects.bulk_update(players, ["target"])


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
def game_master(db, django_user_model):
    """A staff account with the permissions of the game's apps, as the README has game masters set up."""
    user = django_user_model.objects.create_user(username="gm", password="gm-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["game", "sheets_sync"]))
    return user


@pytest.fixture
def gm_client(client, game_master):
    client.force_login(game_master)
    return client


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def make_cast(db):
    return build_cast


@pytest.fixture
def running_game(cast):
    return cast.game


@pytest.fixture
def killer(cast):
    return cast.killer


@pytest.fixture
def victim(cast):
    return cast.victim


@pytest.fixture
def bystander(cast):
    return cast.bystander


@pytest.fixture
def hunter(cast):
    return cast.hunter


def login(client, player):
    response = client.post("/api/login", {"code": player.login_code}, content_type="application/json")
    assert response.status_code == 200, response.content
    return client


def free_port():
    """A TCP port free on 127.0.0.1 now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def at_once(*calls):
    """Run each call in a thread of its own (its own database connection, as in a gunicorn worker of
    its own), all released at the same moment; their results, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@contextlib.contextmanager
def seeded_server(folder, *, players, settings):
    """gunicorn as configured (config/gunicorn.conf.py, DEBUG off, plain HTTP) on a SQLite database of
    its own in `folder`, holding a started demo game of `players`, with `settings` over the defaults.
    Yields (port, the players' login codes, manage): manage(*command) runs manage.py as the server."""
    root = Path(__file__).resolve().parents[1]
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "killer.settings",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "SECRET_KEY": "seeded-server-test-" + "x" * 40,
        "DEBUG": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        **settings,
    }

    def manage(*command):
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *command],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    codes = folder / "codes.csv"
    manage("migrate", "--noinput")
    manage("seed_demo", "--players", str(players), "--start", "--codes-file", str(codes))
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(  # noqa: S603
        [gunicorn, "-c", "config/gunicorn.conf.py"], cwd=root, env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60  # a bound for a busy machine
        while request(port, "GET", "/health")[0] != 200:
            assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        with codes.open() as file:
            yield port, [row["login_code"] for row in csv.DictReader(file)], manage
    finally:
        process.terminate()
        process.wait(timeout=30)


def request(port, method, path, *, cookies=None, headers=None, body=None):
    """One request to a seeded_server, on a connection of its own (nginx spreads a phone's polls over
    the workers so): (status, headers), or (None, {}) when the connection failed. `cookies`, a dict, is
    sent and updated from the answer, with its CSRF token as a header."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": "127.0.0.1", "Accept-Language": "en", **(headers or {})}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        headers["X-CSRFToken"] = cookies.get("csrftoken", "")
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        response.read()
    except OSError:
        return None, {}
    finally:
        connection.close()
    if cookies is not None:
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
    return response.status, response.headers


def log_in(port, code):
    """A phone logged in through the API: its cookies."""
    cookies = {}
    request(port, "GET", "/api/me", cookies=cookies)  # the CSRF cookie
    status, _ = request(port, "POST", "/api/login", cookies=cookies, body={"code": code})
    assert status == 200
    return cookies


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
