"""The roster rules the Google Sheets sync calls: player_update, mission_add, mission_update."""

import pytest

from game import rules
from game.models import Event, Game, Mission, Player


@pytest.fixture
def game(db):
    return Game.objects.create(name="Spring game")


@pytest.fixture
def alice(game):
    return Player.objects.create(game=game, name="Alice", email="alice@example.org")


def test_player_update_changes_only_the_fields_given_and_logs_them(alice):
    rules.player_update(player=alice, actor="sync", group="Team blue")

    alice.refresh_from_db()
    assert (alice.name, alice.email, alice.group) == ("Alice", "alice@example.org", "Team blue")
    event = Event.objects.get(kind="player_updated")
    assert (event.actor, event.player, event.data) == (
        "sync",
        alice,
        {"changes": {"group": ["", "Team blue"]}},
    )


def test_player_update_without_a_change_logs_nothing(alice):
    rules.player_update(player=alice, actor="sync", name="Alice")

    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [{"name": ""}, {"name": "A" * 101}, {"email": "not an email"}, {"group": "G" * 101}],
)
def test_player_update_refuses_what_the_columns_cannot_hold(alice, fields):
    with pytest.raises(rules.RuleError):
        rules.player_update(player=alice, actor="sync", **fields)

    alice.refresh_from_db()
    assert alice.name == "Alice"
    assert not Event.objects.exists()


def test_mission_add_puts_a_mission_in_the_pool(game):
    mission = rules.mission_add(game=game, text="Borrow their pen", actor="sync")

    assert mission.active
    expected = {"mission": mission.pk, "text": "Borrow their pen", "active": True}
    assert Event.objects.get(kind="mission_added").data == expected


def test_mission_update_rewords_and_logs_the_old_text(game):
    mission = Mission.objects.create(game=game, text="Say banana")

    rules.mission_update(mission=mission, text="Say banana twice", actor="sync")

    mission.refresh_from_db()
    assert mission.text == "Say banana twice"
    changes = Event.objects.get(kind="mission_updated").data["changes"]
    assert changes == {"text": ["Say banana", "Say banana twice"]}


@pytest.mark.parametrize("text", ["", "M" * 501])
def test_mission_rules_refuse_an_empty_or_too_long_text(game, text):
    with pytest.raises(rules.RuleError):
        rules.mission_add(game=game, text=text, actor="sync")

    assert not Mission.objects.exists()
