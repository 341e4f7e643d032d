"""Reviving, dropping out, eliminating and new codes for one player; adding players to a live game."""

import pytest
from django.contrib import admin
from django.urls import reverse

from game import rules
from game.admin import PlayerAdmin
from game.models import Event, Game, Kill, Player


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def refreshed(player):
    return Player.objects.get(pk=player.pk)


def test_drop_out_asks_for_confirmation_first(gm_client, victim):
    response = gm_client.get(reverse("admin:game_player_drop_out", args=[victim.pk]))

    assert response.status_code == 200
    assert refreshed(victim).alive


def test_drop_out_hands_the_target_to_the_hunter(gm_client, running_game, killer, victim, bystander):
    gm_client.post(reverse("admin:game_player_drop_out", args=[victim.pk]))

    assert refreshed(victim).dropped_out
    assert refreshed(killer).target == bystander
    assert refreshed(killer).kill_count == 0
    assert rules.chain_problems(running_game) == []
    assert Event.objects.get(kind="player_dropped_out").actor == "gm:gm"


def test_force_kill_credits_the_hunter_and_keeps_the_reason(
    gm_client, running_game, killer, victim, bystander
):
    gm_client.post(reverse("admin:game_player_force_kill", args=[victim.pk]), {"reason": "Left the school"})

    assert not refreshed(victim).alive
    assert refreshed(killer).kill_count == 1
    assert refreshed(killer).target == bystander
    kill = Kill.objects.get(victim=victim)
    assert (kill.status, kill.method, kill.reason) == ("confirmed", "game_master", "Left the school")
    assert rules.chain_problems(running_game) == []


def test_force_kill_of_a_dead_player_shows_the_rules_message(gm_client, running_game, victim):
    rules.kill_force(victim=victim, actor="gm:gm")

    response = gm_client.post(reverse("admin:game_player_force_kill", args=[victim.pk]), follow=True)

    assert response.status_code == 200
    assert "Victim is out of the game." in messages_of(response)
    assert Kill.objects.filter(victim=victim).count() == 1


def test_revive_at_a_random_place(gm_client, running_game, victim):
    rules.kill_force(victim=victim, actor="gm:gm")

    gm_client.post(reverse("admin:game_player_revive", args=[victim.pk]), {"after": ""})

    assert refreshed(victim).alive
    assert refreshed(victim).mission is not None
    assert rules.chain_problems(running_game) == []
    assert Event.objects.get(kind="player_revived").actor == "gm:gm"


def test_revive_right_after_a_chosen_player(gm_client, running_game, victim, bystander, hunter):
    rules.kill_force(victim=victim, actor="gm:gm")

    gm_client.post(reverse("admin:game_player_revive", args=[victim.pk]), {"after": bystander.pk})

    assert refreshed(bystander).target == victim
    assert refreshed(victim).target == hunter
    assert rules.chain_problems(running_game) == []


def test_revive_refuses_a_player_who_is_alive(gm_client, running_game, victim):
    response = gm_client.post(
        reverse("admin:game_player_revive", args=[victim.pk]), {"after": ""}, follow=True
    )

    assert "Victim is alive already." in messages_of(response)


def test_new_codes_replace_the_chosen_codes_only(gm_client, victim):
    gm_client.post(reverse("admin:game_player_new_codes", args=[victim.pk]), {"login": "on"})

    after = refreshed(victim)
    assert after.login_code != victim.login_code
    assert after.death_code == victim.death_code
    assert Event.objects.get(kind="codes_regenerated").data == {"codes": ["login_code"]}


def test_new_codes_need_at_least_one_code(gm_client, victim):
    response = gm_client.post(reverse("admin:game_player_new_codes", args=[victim.pk]), {})

    assert response.status_code == 200
    assert refreshed(victim).login_code == victim.login_code


def add_player(client, game, name):
    return client.post(
        reverse("admin:game_player_add"), {"game": game.pk, "name": name, "email": "", "group": "6B"}
    )


def test_adding_a_player_to_a_running_game_puts_them_in_the_cycle(gm_client, running_game):
    response = add_player(gm_client, running_game, "Latecomer")

    assert response.status_code == 302
    latecomer = Player.objects.get(name="Latecomer")
    assert latecomer.target is not None
    assert latecomer.mission is not None
    assert rules.chain_problems(running_game) == []
    assert Event.objects.get(kind="player_joined").actor == "gm:gm"


def test_adding_a_player_to_a_game_in_setup(gm_client, setup_game):
    add_player(gm_client, setup_game, "Early bird")

    player = Player.objects.get(name="Early bird")
    assert (player.game, player.group, player.target) == (setup_game, "6B", None)


def test_adding_a_player_to_a_finished_game_is_refused(gm_client, running_game):
    rules.game_finish(game=running_game, actor="gm:gm")

    response = add_player(gm_client, running_game, "Too late")

    assert response.status_code == 200  # the form, with the game refused
    assert not Player.objects.filter(name="Too late").exists()


def test_the_change_form_cannot_touch_the_chain(gm_client, running_game, killer, victim, bystander):
    response = gm_client.post(
        reverse("admin:game_player_change", args=[killer.pk]),
        {
            "name": "Killer renamed",
            "email": "killer@example.com",
            "group": "5A",
            "target": bystander.pk,
            "alive": "",
            "kill_count": "9",
            "mission": "",
            "game": "",
        },
    )

    assert response.status_code == 302
    after = refreshed(killer)
    assert (after.name, after.email, after.group) == ("Killer renamed", "killer@example.com", "5A")
    assert (after.target, after.alive, after.kill_count, after.mission) == (victim, True, 0, killer.mission)
    assert rules.chain_problems(running_game) == []


def test_a_player_of_a_live_game_cannot_be_deleted(gm_client, running_game, victim):
    response = gm_client.post(reverse("admin:game_player_delete", args=[victim.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Player.objects.filter(pk=victim.pk).exists()


def test_a_player_of_a_game_in_setup_can_be_deleted(gm_client, setup_game):
    player = Player.objects.create(game=setup_game, name="Mistake")

    gm_client.post(reverse("admin:game_player_delete", args=[player.pk]), {"post": "yes"})

    assert not Player.objects.filter(pk=player.pk).exists()


def test_the_player_page_offers_the_actions_that_apply(gm_client, running_game, victim):
    response = gm_client.get(reverse("admin:game_player_change", args=[victim.pk]))

    assert reverse("admin:game_player_force_kill", args=[victim.pk]).encode() in response.content
    assert reverse("admin:game_player_revive", args=[victim.pk]).encode() not in response.content
    assert Game.objects.get(pk=running_game.pk).status == "running"


def test_saving_a_form_loaded_before_a_kill_keeps_the_new_chain(
    rf, game_master, running_game, killer, victim, bystander
):
    stale = Player.objects.get(pk=killer.pk)
    rules.kill_force(victim=victim, actor="gm:gm")
    stale.name = "Renamed"
    request = rf.post("/")
    request.user = game_master

    PlayerAdmin(Player, admin.site).save_model(request, stale, form=None, change=True)

    after = refreshed(killer)
    assert (after.name, after.target, after.kill_count) == ("Renamed", bystander, 1)
    assert rules.chain_problems(running_game) == []


def test_a_refusal_while_adding_a_player_is_a_message_not_an_error(gm_client, running_game, monkeypatch):
    # The game finished between the form's check and the rule: the rule has the last word.
    def refuse(**kwargs):
        raise rules.RuleError("The game is finished.")

    monkeypatch.setattr(rules, "player_join", refuse)

    response = add_player(gm_client, running_game, "Racer")

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:game_player_changelist")
    assert messages_of(gm_client.get(response["Location"])) == ["The game is finished."]
    assert not Player.objects.filter(name="Racer").exists()


def test_deleting_a_player_of_a_finished_game_goes_through_the_rules(gm_client, running_game, victim):
    rules.game_finish(game=running_game, actor="gm:gm")
    version = Game.objects.get(pk=running_game.pk).version

    gm_client.post(reverse("admin:game_player_delete", args=[victim.pk]), {"post": "yes"})

    assert not Player.objects.filter(pk=victim.pk).exists()
    event = Event.objects.get(kind="player_deleted")
    assert (event.actor, event.data) == ("gm:gm", {"name": victim.name})
    # The leaderboard's and the feed's ETags move: phones holding the old ones see the change.
    assert Game.objects.get(pk=running_game.pk).version > version


def test_a_player_of_a_live_game_is_dropped_out_not_deleted(running_game, victim):
    with pytest.raises(rules.RuleError, match="drop the player out"):
        rules.player_delete(player=victim, actor="gm:gm")

    assert Player.objects.filter(pk=victim.pk).exists()
