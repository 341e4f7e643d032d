"""A game that keeps killers secret (`Game.feed_names_killers` off) keeps them secret everywhere.

A player who polls every public page and endpoint and compares what they get must not be able to
pair a victim with a killer, and so learn who now hunts the victim's target. The test builds two
worlds with the same public starting state whose secret chains differ in one thing, the victim's
hunter; makes the same kill of the victim in both; and checks that a watcher fetches the same bytes
(bodies, ETags, statuses) from every page in both worlds, before and after each step.
"""

import re
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from game import codes, rules
from game.models import Game, Player
from tests.conftest import fresh, link_cycle, login

pytestmark = pytest.mark.django_db

# Every page and endpoint a player can fetch, public and their own.
SEEN = [
    *("/api/leaderboard", "/api/feed", "/api/me"),
    *("/leaderboard/", "/results/", "/rules/", "/me/", "/me/notices/"),
]
# Two watchers: the victim's target, who gets a new hunter, and a player further along the chain.
WATCHERS = ["Bystander", "Player 3"]


@pytest.fixture
def clock():
    """Django's clock, standing still until a test moves it: both worlds live each step at the same
    time, as if they were played side by side."""
    moment = SimpleNamespace(now=timezone.now().replace(second=0, microsecond=0))
    with mock.patch("django.utils.timezone.now", lambda: moment.now):
        yield moment


def build_world(make_cast, *, hunter_of_victim, **options):
    """Six players, Killer → Victim → Bystander → Player 3 → Player 4 → Hunter → Killer; with
    `hunter_of_victim` "Hunter", Killer and Hunter swap places: the same names, groups, missions and
    kill counts, but the Hunter hunts the Victim."""
    cast = make_cast(players=6, **options)
    players = {p.name: p for p in cast.game.players.all()}
    if hunter_of_victim == "Hunter":
        order = ["Hunter", "Victim", "Bystander", "Player 3", "Player 4", "Killer"]
        Player.objects.filter(game=cast.game).update(target=None)
        link_cycle([players[name] for name in order])
    watchers = {name: login(Client(HTTP_ACCEPT_LANGUAGE="en"), players[name]) for name in WATCHERS}
    return SimpleNamespace(
        game=cast.game,
        killer=fresh(players[hunter_of_victim]),
        victim=fresh(players["Victim"]),
        watchers=watchers,
        watcher_players={name: fresh(players[name]) for name in WATCHERS},
    )


def normalised(text, watcher):
    """What differs between two worlds whatever happens in them: database ids, the watcher's own
    death code, CSRF tokens."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', text)
    text = re.sub(r'"id": \d+', '"id": "#"', text)
    text = re.sub(r'name="target" value="\d+"', 'name="target" value="#"', text)
    text = re.sub(rf"\b(me|leaderboard|feed)-{watcher.pk}-", r"\1-watcher-", text)
    return text.replace(codes.display(watcher.death_code), "DEATH-CODE")


def everything_seen(world):
    seen = {}
    for name, client in world.watchers.items():
        for path in SEEN:
            response = client.get(path)
            seen[name, path] = (
                response.status_code,
                response.get("Location"),
                normalised(response.get("ETag", ""), world.watcher_players[name]),
                normalised(response.content.decode(), world.watcher_players[name]),
            )
    return seen


def declare(world):
    rules.kill_declare(killer=world.killer, actor="player")


def victim_confirms(world):
    rules.kill_confirm(kill=world.victim.kills_suffered.get(), actor="player")


def victim_denies(world):
    rules.kill_deny(kill=world.victim.kills_suffered.get(), actor="player")


def game_master_confirms(world):
    rules.kill_confirm(kill=world.victim.kills_suffered.get(), actor="gm:gm", reason="Two witnesses")


def death_code(world):
    rules.kill_with_death_code(killer=world.killer, death_code=world.victim.death_code, actor="player")


def self_report(world):
    rules.death_report(victim=world.victim, actor="player")


def game_master_forces(world):
    rules.kill_force(victim=world.victim, actor="gm:gm", reason="Seen")


FLOWS = {
    "automatic": ({"confirmation_mode": Game.ConfirmationMode.AUTOMATIC}, [declare]),
    "victim confirms": ({}, [declare, victim_confirms]),
    "game master confirms": ({}, [declare, victim_denies, game_master_confirms]),
    "death code": ({}, [death_code]),
    "self-report": ({}, [self_report]),
    "game master forces": ({}, [game_master_forces]),
}


def play(make_cast, clock, capture, flow, *, hunter_of_victim, feed_names_killers):
    """What the watchers see in one world: before the kill, then after each step of `flow`."""
    options, steps = FLOWS[flow]
    start = clock.now
    world = build_world(
        make_cast, hunter_of_victim=hunter_of_victim, feed_names_killers=feed_names_killers, **options
    )
    seen = [everything_seen(world)]
    for minute, step in enumerate(steps, start=1):
        clock.now = start + timedelta(minutes=minute)
        with capture(execute=True):
            step(world)
        seen.append(everything_seen(world))
    clock.now = start
    killer, victim = fresh(world.killer), fresh(world.victim)
    # The kill happened, credited to this world's hunter of the victim.
    assert (victim.alive, killer.kill_count, killer.target.name) == (False, 1, "Bystander")
    return seen


@pytest.mark.parametrize("flow", FLOWS)
def test_a_game_that_keeps_killers_secret_shows_the_same_to_everyone_whoever_killed(
    make_cast, clock, django_capture_on_commit_callbacks, flow
):
    worlds = [
        play(
            make_cast,
            clock,
            django_capture_on_commit_callbacks,
            flow,
            hunter_of_victim=hunter,
            feed_names_killers=False,
        )
        for hunter in ("Killer", "Hunter")
    ]
    assert differences(*worlds) == []


def differences(world, other):
    """(step, watcher, path) where the two worlds showed a watcher different things."""
    assert len(world) == len(other)
    return [(step, *key) for step, seen in enumerate(world) for key in seen if seen[key] != other[step][key]]


def test_with_the_option_on_the_feed_names_the_killer(make_cast, clock, django_capture_on_commit_callbacks):
    worlds = [
        play(
            make_cast,
            clock,
            django_capture_on_commit_callbacks,
            "self-report",
            hunter_of_victim=hunter,
            feed_names_killers=True,
        )
        for hunter in ("Killer", "Hunter")
    ]
    # Before the kill the worlds look alike; after it, they differ: the feed names each one's killer.
    assert ("Bystander", "/api/feed") in {(watcher, path) for _, watcher, path in differences(*worlds)}
    assert not [step for step, *_ in differences(*worlds) if step == 0]
    for world, hunter in zip(worlds, ("Killer", "Hunter"), strict=True):
        feed = world[1]["Bystander", "/api/feed"][3]
        assert f'"victim": "Victim", "killer": "{hunter}"' in feed


@pytest.fixture
def secret_cast(make_cast, django_capture_on_commit_callbacks):
    """A game that keeps killers secret, after one kill: the Killer has eliminated the Victim."""
    cast = make_cast(players=5, feed_names_killers=False)
    with django_capture_on_commit_callbacks(execute=True):
        rules.death_report(victim=cast.victim, actor="player")
    return cast


def test_while_it_runs_the_leaderboard_shows_who_is_out_by_name_and_no_kills(secret_cast):
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), secret_cast.bystander)
    board = client.get("/api/leaderboard").json()
    assert board["kills_hidden"] is True
    assert [(row["name"], row["alive"], row["kills"], row["rank"]) for row in board["players"]] == [
        ("Bystander", True, None, None),
        ("Hunter", True, None, None),
        ("Killer", True, None, None),
        ("Player 3", True, None, None),
        ("Victim", False, None, None),
    ]
    page = client.get("/leaderboard/").content.decode()
    assert "everyone's kills are shown when the game ends" in page
    assert ">Kills<" not in page and "None" not in page


def test_a_player_still_sees_their_own_kills(secret_cast):
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), secret_cast.killer)
    assert client.get("/api/me").json()["player"]["kills"] == 1
    assert "1 kill so far" in client.get("/me/").content.decode()


def test_the_final_ranking_shows_everyones_kills(secret_cast, django_capture_on_commit_callbacks):
    cast = secret_cast
    with django_capture_on_commit_callbacks(execute=True):
        rules.game_finish(game=cast.game, actor="gm:gm")
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.bystander)
    board = client.get("/api/leaderboard").json()
    assert board["kills_hidden"] is False
    assert board["players"][0] == {**board["players"][0], "name": "Killer", "kills": 1, "rank": 1}
    assert "<td>Killer</td><td>1</td>" in client.get("/results/").content.decode()
    # The feed still names only the victims.
    assert client.get("/api/feed").json()["kills"][0]["killer"] is None


def test_the_rules_page_says_what_stays_secret(secret_cast):
    page = login(Client(HTTP_ACCEPT_LANGUAGE="en"), secret_cast.bystander).get("/rules/").content.decode()
    assert "the kill feed names only the victims, and everyone's kills are shown when the game ends" in page
