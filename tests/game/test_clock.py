"""The game clock: claim timeouts applied by rules.clock_tick and `manage.py game_clock`, with the
time moved by time-machine rather than waited for."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from game import rules
from game.errors import RuleError
from game.models import Event, Game, Kill
from tests.conftest import at_once, chain_from, fresh, make_game

DECLARED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def declare(killer, at=DECLARED):
    with time_machine.travel(at, tick=False):
        return rules.kill_declare(killer=killer, actor="test")


def tick(game, at):
    with time_machine.travel(at, tick=False):
        return rules.clock_tick(game=fresh(game), now=at)


def timed_out(game):
    return list(Event.objects.filter(game=game, kind="claim_timed_out", actor=rules.CLOCK))


@pytest.fixture
def timed_game(make_cast):
    return make_cast(claim_timeout_minutes=60).game


def test_a_due_claim_counts_by_the_clock(timed_game):
    killer = timed_game.players.get(name="Killer")
    kill = declare(killer)
    assert tick(timed_game, DECLARED + timedelta(minutes=60)) == 1
    kill = fresh(kill)
    assert kill.status == Kill.Status.CONFIRMED
    assert kill.resolved_by == rules.CLOCK
    assert not fresh(kill.victim).alive
    assert fresh(killer).target.name == "Bystander"
    [event] = timed_out(timed_game)
    assert event.data == {"kill": kill.pk, "action": "confirm"}
    assert Event.objects.get(game=timed_game, kind="kill_confirmed").actor == rules.CLOCK


def test_a_due_claim_goes_to_the_game_masters(make_cast):
    game = make_cast(claim_timeout_minutes=30, claim_timeout_action=Game.ClaimTimeoutAction.ESCALATE).game
    kill = declare(game.players.get(name="Killer"))
    assert tick(game, DECLARED + timedelta(minutes=31)) == 1
    kill = fresh(kill)
    assert kill.status == Kill.Status.DENIED  # the disputed queue of the dashboard
    assert fresh(kill.victim).alive
    assert [event.data["action"] for event in timed_out(game)] == ["escalate"]
    # Already with the game masters: later ticks leave it there.
    assert tick(game, DECLARED + timedelta(days=2)) == 0
    assert fresh(kill).status == Kill.Status.DENIED


def test_a_claim_not_yet_due_is_left_alone(timed_game):
    kill = declare(timed_game.players.get(name="Killer"))
    version = fresh(timed_game).version
    assert tick(timed_game, DECLARED + timedelta(minutes=59, seconds=59)) == 0
    assert fresh(kill).status == Kill.Status.PENDING
    assert fresh(timed_game).version == version
    assert timed_out(timed_game) == []


def test_no_timeout_no_clock(make_cast):
    game = make_cast().game
    kill = declare(game.players.get(name="Killer"))
    assert tick(game, DECLARED + timedelta(days=30)) == 0
    assert fresh(kill).status == Kill.Status.PENDING


def test_a_paused_game_waits_and_settles_once_resumed(timed_game):
    kill = declare(timed_game.players.get(name="Killer"))
    rules.game_pause(game=timed_game, actor="test")
    assert tick(timed_game, DECLARED + timedelta(hours=3)) == 0
    rules.game_resume(game=timed_game, actor="test")
    assert tick(timed_game, DECLARED + timedelta(hours=3)) == 1
    assert fresh(kill).status == Kill.Status.CONFIRMED


def test_a_claim_answered_in_time_is_not_touched(timed_game):
    kill = declare(timed_game.players.get(name="Killer"))
    rules.kill_deny(kill=kill, actor="test")
    assert tick(timed_game, DECLARED + timedelta(hours=2)) == 0
    assert fresh(kill).status == Kill.Status.DENIED
    assert timed_out(timed_game) == []


def test_catch_up_after_downtime_applies_each_once_in_order(db):
    game = make_game(players=8, start=True, claim_timeout_minutes=10)
    chain = chain_from(game.players.first())
    # Four kills on four different victims, declared an hour apart; the clock was down all along.
    kills = [declare(chain[i], at=DECLARED + timedelta(hours=i)) for i in (0, 2, 4, 6)]
    later = DECLARED + timedelta(days=1)
    assert tick(game, later) == 4
    assert tick(game, later) == 0
    assert [fresh(kill).status for kill in kills] == [Kill.Status.CONFIRMED] * 4
    assert [event.data["kill"] for event in reversed(timed_out(game))] == [kill.pk for kill in kills]
    assert rules.chain_problems(fresh(game)) == []


def test_the_command_applies_the_due_claims(timed_game, capsys):
    kill = declare(timed_game.players.get(name="Killer"))
    with time_machine.travel(DECLARED + timedelta(minutes=90), tick=False):
        call_command("game_clock")
        call_command("game_clock")
    assert "1 change(s) applied" in capsys.readouterr().out
    assert fresh(kill).status == Kill.Status.CONFIRMED
    assert len(timed_out(timed_game)) == 1


def test_the_options_page_sets_the_timeout(gm_client, running_game):
    response = gm_client.post(
        f"/admin/game/game/{running_game.pk}/options/",
        {
            "confirmation_mode": "victim",
            "killer_inherits_mission": "on",
            "claim_timeout_minutes": "45",
            "claim_timeout_action": "escalate",
        },
    )
    assert response.status_code == 302
    game = fresh(running_game)
    assert (game.claim_timeout_minutes, game.claim_timeout_action) == (45, "escalate")


@pytest.mark.parametrize("minutes, action", [(-1, "confirm"), (43201, "confirm"), (10, "explode")])
def test_bad_options_change_nothing(running_game, minutes, action):
    with pytest.raises(RuleError):
        rules.game_set_options(
            game=running_game,
            actor="test",
            confirmation_mode="victim",
            feed_names_killers=True,
            killer_inherits_mission=True,
            claim_timeout_minutes=minutes,
            claim_timeout_action=action,
        )
    assert fresh(running_game).claim_timeout_minutes == 0


@pytest.mark.django_db(transaction=True)
def test_two_clocks_at_once_apply_each_claim_once():
    game = make_game(players=8, start=True, claim_timeout_minutes=5)
    chain = chain_from(game.players.first())
    kills = [declare(chain[i], at=DECLARED + timedelta(minutes=i)) for i in (0, 2, 4, 6)]
    later = DECLARED + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        results = at_once(*[lambda: rules.clock_tick(game=fresh(game), now=later)] * 3)
    assert sum(results) == 4
    assert [fresh(kill).status for kill in kills] == [Kill.Status.CONFIRMED] * 4
    assert len(timed_out(game)) == 4
    assert fresh(chain[0]).kill_count == 1
    assert rules.chain_problems(fresh(game)) == []


@pytest.mark.django_db(transaction=True)
def test_the_loop_applies_what_falls_due_and_stops_cleanly_on_sigterm():
    game = make_game(players=4, start=True, claim_timeout_minutes=1)
    killer = game.players.first()
    kill = declare(killer, at=timezone.now() - timedelta(hours=1))
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    else:
        database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url}
    loop = subprocess.Popen(
        [sys.executable, "manage.py", "game_clock", "--loop", "--interval", "0.2"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60  # a subprocess starting Django on a busy machine
    while fresh(kill).status == Kill.Status.PENDING:
        assert time.monotonic() < deadline, "the clock never applied the timeout"
        time.sleep(0.05)
    loop.send_signal(signal.SIGTERM)
    output, _ = loop.communicate(timeout=60)

    assert loop.returncode == 0
    assert fresh(kill).status == Kill.Status.CONFIRMED
    assert output.count("game_clock: 1 change(s) applied") == 1


@pytest.mark.parametrize(
    "action, english, french",
    [
        ("confirm", "unanswered for 90 minutes counts.", "ne répond pas en 90 minutes compte."),
        ("escalate", "90 minutes goes to the game masters.", "90 minutes passe aux maîtres du jeu."),
    ],
)
def test_the_rules_page_says_what_the_timeout_does(timed_game, client, action, english, french):
    Game.objects.filter(pk=timed_game.pk).update(claim_timeout_minutes=90, claim_timeout_action=action)
    player = timed_game.players.get(name="Killer")
    client.post("/api/login", {"code": player.login_code}, content_type="application/json")
    assert english in client.get("/rules/").content.decode()
    assert french in client.get("/rules/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
