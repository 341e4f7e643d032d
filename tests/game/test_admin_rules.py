"""The rules added for game masters: game_set_options and kill_confirm with a reason."""

import pytest

from game import rules
from game.models import Event, Game, Kill


def set_options(game, **changes):
    options = {
        "confirmation_mode": game.confirmation_mode,
        "feed_names_killers": game.feed_names_killers,
        "killer_inherits_mission": game.killer_inherits_mission,
    }
    return rules.game_set_options(game=game, actor="gm:gm", **(options | changes))


def test_set_options_changes_the_game_and_logs_what_changed(running_game):
    set_options(running_game, confirmation_mode="automatic", feed_names_killers=False)

    running_game.refresh_from_db()
    assert running_game.confirmation_mode == Game.ConfirmationMode.AUTOMATIC
    assert running_game.feed_names_killers is False
    event = Event.objects.get(kind="game_options_changed")
    assert event.actor == "gm:gm"
    assert event.data == {
        "changes": {"confirmation_mode": ["victim", "automatic"], "feed_names_killers": [True, False]}
    }


def test_set_options_without_a_change_logs_nothing(running_game):
    set_options(running_game)

    assert not Event.objects.filter(kind="game_options_changed").exists()


def test_set_options_refuses_a_finished_game(running_game):
    rules.game_finish(game=running_game, actor="gm:gm")

    with pytest.raises(rules.RuleError):
        set_options(running_game, killer_inherits_mission=False)


def test_set_options_refuses_an_unknown_mode(running_game):
    with pytest.raises(rules.RuleError):
        set_options(running_game, confirmation_mode="telepathy")


def test_confirm_with_reason_keeps_the_reason(killer, victim):
    kill = rules.kill_declare(killer=killer, actor="player")

    rules.kill_confirm(kill=kill, actor="gm:gm", reason="Seen by a teacher")

    kill.refresh_from_db()
    assert kill.status == Kill.Status.CONFIRMED
    assert kill.reason == "Seen by a teacher"
    assert kill.resolved_by == "gm:gm"


def test_confirm_with_reason_leaves_a_closed_kill_untouched(killer):
    kill = rules.kill_declare(killer=killer, actor="player")
    rules.kill_reject(kill=kill, actor="gm:gm", reason="No witness")

    with pytest.raises(rules.RuleError):
        rules.kill_confirm(kill=kill, actor="gm:gm", reason="Changed my mind")

    kill.refresh_from_db()
    assert kill.reason == "No witness"
