"""Fair draws: a start, a reshuffle, a late join and a revival keep out the hunts the game forbids (a
target of one's own group when the game says so, a forbidden pair either way) whenever the players
allow it, and break as few as they can when they do not."""

import time

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game import rules
from game.models import Event, ForbiddenPair, Game, Mission, Player
from tests.conftest import make_game


def grouped_game(sizes, blanks=0, avoid_same_group=True):
    """A game in setup whose players are in groups of the given sizes, plus `blanks` without a group."""
    game = Game.objects.create(name="Grouped", avoid_same_group=avoid_same_group)
    Mission.objects.create(game=game, text="Say banana")
    groups = [f"Class {g}" for g, size in enumerate(sizes) for _ in range(size)] + [""] * blanks
    Player.objects.bulk_create(Player(game=game, name=f"P{i}", group=group) for i, group in enumerate(groups))
    return game


def same_group_links(game):
    players = game.players.alive().select_related("target")
    return sum(1 for p in players if p.group and p.group == p.target.group)


def forbidden_links(game):
    pairs = {frozenset(pair) for pair in game.forbidden_pairs.values_list("a_id", "b_id")}
    return sum(1 for p in game.players.alive() if frozenset((p.pk, p.target_id)) in pairs)


group_sizes = st.lists(st.integers(1, 8), min_size=1, max_size=6)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=group_sizes, blanks=st.integers(0, 4))
def test_a_start_gives_nobody_a_target_of_their_group_when_the_groups_allow_it(sizes, blanks):
    n = sum(sizes) + blanks
    if n < 2:
        return
    game = grouped_game(sizes, blanks)

    rules.game_start(game=game, actor="gm")

    # A cycle keeps a group apart only if the others are as many: the rest must break links.
    fewest = max(0, 2 * max(sizes) - n)
    assert rules.chain_problems(game) == []
    assert same_group_links(game) == fewest
    event = Event.objects.get(game=game, kind="game_started")
    assert event.data["broken_links"] == fewest


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=group_sizes, blanks=st.integers(0, 4))
def test_a_reshuffle_keeps_groups_apart_too(sizes, blanks):
    n = sum(sizes) + blanks
    if n < 2:
        return
    game = grouped_game(sizes, blanks, avoid_same_group=False)
    rules.game_start(game=game, actor="gm")
    Game.objects.filter(pk=game.pk).update(avoid_same_group=True)

    game = rules.game_reshuffle(game=game, actor="gm")

    assert rules.chain_problems(game) == []
    broken = Event.objects.filter(game=game, kind="game_reshuffled").latest("pk").data["broken_links"]
    assert same_group_links(game) == broken == max(0, 2 * max(sizes) - n)


def test_without_the_option_groups_are_ignored(db):
    game = grouped_game([2], avoid_same_group=False)

    rules.game_start(game=game, actor="gm")

    assert same_group_links(game) == 2


def test_forbidden_pairs_never_hunt_each_other_either_way(db):
    game = make_game(players=5)
    players = list(game.players.all())
    for other in players[1:3]:
        rules.forbidden_pair_add(game=game, a=players[0], b=other, actor="gm")

    for _ in range(20):
        Player.objects.filter(game=game).update(target=None)
        game.status = Game.Status.SETUP
        game.save()
        rules.game_start(game=game, actor="gm")
        assert forbidden_links(game) == 0


def test_when_nothing_can_hold_the_draw_still_makes_one_cycle_and_says_so(gm_client, setup_game):
    players = [Player.objects.create(game=setup_game, name=name) for name in ("Ann", "Bob", "Cid")]
    for i, player in enumerate(players):
        rules.forbidden_pair_add(game=setup_game, a=player, b=players[i - 1], actor="gm")

    response = gm_client.post(reverse("admin:game_game_action", args=[setup_game.pk, "start"]), follow=True)

    assert rules.chain_problems(setup_game) == []
    assert forbidden_links(setup_game) == 3
    assert Event.objects.get(kind="game_started").data["broken_links"] == 3
    messages = [str(m) for m in response.context["messages"]]
    assert "No draw could keep every constraint: 3 players hunt a target the game forbids." in messages


def test_a_late_player_goes_where_their_group_is_kept_apart(db):
    for _ in range(10):
        # Two players without a group follow each other somewhere: the only place that keeps it apart.
        game = grouped_game([3], blanks=4)
        rules.game_start(game=game, actor="gm")

        joined = rules.player_join(game=game, name="Late", group="Class 0", actor="gm")

        assert rules.chain_problems(game) == []
        assert same_group_links(game) == 0
        assert Event.objects.get(game=game, kind="player_joined").data["broken_links"] == 0
        joined.refresh_from_db()
        assert joined.target.group == ""


def test_a_revived_player_goes_where_no_forbidden_pair_hunts(db):
    for _ in range(10):
        game = make_game(players=5, start=True)
        first, *others = game.players.all()
        rules.player_drop_out(player=first, actor="gm")
        rules.forbidden_pair_add(game=game, a=first, b=others[0], actor="gm")

        rules.player_revive(player=first, actor="gm")

        assert rules.chain_problems(game) == []
        assert forbidden_links(game) == 0


def test_a_pair_needs_two_players_of_the_game(db):
    game, other = make_game(players=2), make_game(players=1)
    a, b = game.players.all()

    with pytest.raises(rules.RuleError):
        rules.forbidden_pair_add(game=game, a=a, b=a, actor="gm")
    with pytest.raises(rules.RuleError):
        rules.forbidden_pair_add(game=game, a=a, b=other.players.get(), actor="gm")
    assert not ForbiddenPair.objects.exists()


def test_game_masters_add_pairs_in_the_game_form_and_set_the_option(gm_client, setup_game):
    ann, bob = (Player.objects.create(game=setup_game, name=name) for name in ("Ann", "Bob"))
    missions = list(setup_game.missions.order_by("pk"))
    form = {
        "name": setup_game.name,
        "missions-TOTAL_FORMS": str(len(missions)),
        "missions-INITIAL_FORMS": str(len(missions)),
        "forbidden_pairs-TOTAL_FORMS": "1",
        "forbidden_pairs-INITIAL_FORMS": "0",
        "forbidden_pairs-0-game": setup_game.pk,
        "forbidden_pairs-0-a": ann.pk,
        "forbidden_pairs-0-b": bob.pk,
    }
    for i, mission in enumerate(missions):
        form |= {f"missions-{i}-id": mission.pk, f"missions-{i}-game": setup_game.pk}
        form |= {f"missions-{i}-text": mission.text, f"missions-{i}-active": "on"}

    response = gm_client.post(reverse("admin:game_game_change", args=[setup_game.pk]), form)
    gm_client.post(
        reverse("admin:game_game_options", args=[setup_game.pk]),
        {
            "confirmation_mode": "victim",
            "avoid_same_group": "on",
            "claim_timeout_minutes": 0,
            "claim_timeout_action": "confirm",
        },
    )

    assert response.status_code == 302
    assert ForbiddenPair.objects.filter(game=setup_game, a=ann, b=bob).exists()
    setup_game.refresh_from_db()
    assert setup_game.avoid_same_group is True
    changes = [e.data["changes"] for e in Event.objects.filter(kind="game_options_changed").order_by("pk")]
    assert changes[0] == {"forbidden_pair_added": [ann.pk, bob.pk]}
    assert "avoid_same_group" in changes[1]


def test_a_draw_of_5000_players_in_12_groups_takes_seconds(db):
    game = grouped_game([5000 // 12] * 12, blanks=5000 % 12)
    players = list(game.players.all())

    started = time.monotonic()
    order, broken = rules._draw_cycle(game, players)
    elapsed = time.monotonic() - started

    assert broken == 0
    assert sorted(p.pk for p in order) == sorted(p.pk for p in players)
    # Generous for a shared, loaded machine; it takes well under a second alone.
    assert elapsed < 60


def test_a_revival_right_after_a_chosen_player_goes_there_and_the_event_says_what_it_broke(db):
    game = make_game(players=4, start=True)
    first, partner, *_ = game.players.all()
    rules.player_drop_out(player=first, actor="gm")
    rules.forbidden_pair_add(game=game, a=first, b=partner, actor="gm")

    rules.player_revive(player=first, after=partner, actor="gm")

    partner.refresh_from_db()
    assert partner.target == first
    assert Event.objects.get(kind="player_revived").data["broken_links"] == 1
