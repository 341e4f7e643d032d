"""A game finished by mistake: the pages that would finish it say so, and a game master reopens it."""

import pytest
from django.urls import reverse

from game import rules
from game.models import Event, Game, Player
from tests.conftest import fresh, login
from tests.game.conftest import snapshot


@pytest.fixture
def last_two(cast):
    """The cast's game down to its final duel: Killer hunts Hunter, who hunts Killer."""
    rules.kill_force(victim=cast.victim, actor="test")
    rules.kill_force(victim=cast.bystander, actor="test")
    return cast


def action_url(game, action):
    return reverse("admin:game_game_action", args=[game.pk, action])


def test_the_drop_out_page_says_the_game_will_finish_and_who_wins(gm_client, last_two):
    page = gm_client.get(reverse("admin:game_player_drop_out", args=[last_two.hunter.pk])).content.decode()

    assert "the game will finish and Killer will be declared the winner" in page
    assert fresh(last_two.game).status == Game.Status.RUNNING


def test_the_eliminate_page_says_the_game_will_finish_and_who_wins(gm_client, last_two):
    page = gm_client.get(reverse("admin:game_player_force_kill", args=[last_two.killer.pk])).content.decode()

    assert "the game will finish and Hunter will be declared the winner" in page


def test_the_page_confirming_a_final_kill_says_the_game_will_finish(gm_client, last_two):
    kill = rules.kill_declare(killer=last_two.killer, actor="test")

    page = gm_client.get(reverse("admin:game_kill_confirm", args=[kill.pk])).content.decode()

    assert "the game will finish and Killer will be declared the winner" in page


def test_the_death_report_page_of_one_of_the_last_two_says_the_game_will_finish(client, last_two):
    login(client, last_two.hunter)

    page = client.post("/me/death/").content.decode()

    assert "the game will finish and your hunter wins" in page
    assert fresh(last_two.hunter).alive


def test_the_drop_out_page_speaks_of_no_finish_while_three_are_alive(gm_client, cast):
    rules.kill_force(victim=cast.victim, actor="test")

    page = gm_client.get(reverse("admin:game_player_drop_out", args=[cast.hunter.pk])).content.decode()

    assert "the game will finish" not in page


def test_reopening_a_game_ended_by_a_drop_out_puts_the_chain_back_exactly(last_two):
    before = snapshot(last_two.game)
    rules.player_drop_out(player=last_two.hunter, actor="test")
    assert fresh(last_two.game).winner == last_two.killer

    rules.game_reopen(game=last_two.game, actor="gm:gm")

    assert snapshot(last_two.game) == before
    assert not fresh(last_two.hunter).dropped_out
    assert rules.chain_problems(fresh(last_two.game)) == []
    assert Event.objects.filter(kind="game_reopened", actor="gm:gm").count() == 1


def test_reopening_a_game_ended_by_a_kill_undoes_that_kill(last_two):
    before = snapshot(last_two.game)
    rules.kill_force(victim=last_two.hunter, actor="test")

    rules.game_reopen(game=last_two.game, actor="gm:gm")

    assert snapshot(last_two.game) == before
    assert rules.chain_problems(fresh(last_two.game)) == []


def test_reopening_a_game_finished_early_gives_back_its_chain_and_pause(cast):
    rules.game_pause(game=cast.game, actor="test")
    before = snapshot(cast.game)
    rules.game_finish(game=cast.game, actor="test")

    rules.game_reopen(game=cast.game, actor="gm:gm")

    assert snapshot(cast.game) == before
    assert fresh(cast.game).status == Game.Status.PAUSED
    assert rules.chain_problems(fresh(cast.game)) == []


def test_it_refuses_to_reopen_once_something_changed_after_the_end(last_two):
    rules.player_drop_out(player=last_two.hunter, actor="test")
    rules.player_new_codes(player=last_two.killer, actor="test")
    after = snapshot(last_two.game)

    with pytest.raises(rules.RuleError, match="changed after it finished"):
        rules.game_reopen(game=last_two.game, actor="gm:gm")

    assert snapshot(last_two.game) == after


def test_it_refuses_to_reopen_a_game_that_is_not_finished(cast):
    with pytest.raises(rules.RuleError, match="Only a finished game"):
        rules.game_reopen(game=cast.game, actor="gm:gm")


def test_the_dashboard_of_a_finished_game_offers_to_reopen_it(gm_client, last_two):
    rules.player_drop_out(player=last_two.hunter, actor="test")

    page = gm_client.get(reverse("admin:game_game_dashboard", args=[last_two.game.pk])).content.decode()

    assert action_url(last_two.game, "reopen") in page


def test_a_game_master_reopens_the_game_and_the_players_pages_show_it_live(gm_client, client, last_two):
    rules.player_drop_out(player=last_two.hunter, actor="test")
    login(client, last_two.hunter)
    assert client.get("/api/me").json()["game"]["status"] == "finished"

    assert gm_client.get(action_url(last_two.game, "reopen")).status_code == 200
    gm_client.post(action_url(last_two.game, "reopen"))

    me = client.get("/api/me").json()
    assert me["game"]["status"] == "running"
    assert me["game"]["winner"] is None
    assert me["player"]["alive"]
    assert me["target"]["name"] == "Killer"
    assert me["mission"] == Player.objects.get(pk=last_two.hunter.pk).mission.text
