"""Confirming, rejecting and undoing kills from the admin."""

import pytest
from django.urls import reverse

from game import rules
from game.models import Event, Game, Kill, Player

from .conftest import snapshot


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def disputed_kill(killer):
    kill = rules.kill_declare(killer=killer, actor="player")
    rules.kill_deny(kill=kill, actor="player")
    return kill


def test_confirm_asks_for_confirmation_first(gm_client, killer):
    kill = disputed_kill(killer)

    response = gm_client.get(reverse("admin:game_kill_confirm", args=[kill.pk]))

    assert response.status_code == 200
    kill.refresh_from_db()
    assert kill.status == Kill.Status.DENIED


def test_confirm_a_disputed_kill_with_a_reason(gm_client, running_game, killer, victim, bystander):
    kill = disputed_kill(killer)

    response = gm_client.post(reverse("admin:game_kill_confirm", args=[kill.pk]), {"reason": "Two witnesses"})

    assert response.status_code == 302
    kill.refresh_from_db()
    assert (kill.status, kill.reason, kill.resolved_by) == ("confirmed", "Two witnesses", "gm:gm")
    assert not Player.objects.get(pk=victim.pk).alive
    assert Player.objects.get(pk=killer.pk).target == bystander
    assert rules.chain_problems(running_game) == []


def test_reject_a_pending_kill_with_a_reason(gm_client, running_game, killer, victim):
    kill = rules.kill_declare(killer=killer, actor="player")

    gm_client.post(reverse("admin:game_kill_reject", args=[kill.pk]), {"reason": "No witness"})

    kill.refresh_from_db()
    assert (kill.status, kill.reason) == ("rejected", "No witness")
    assert Player.objects.get(pk=victim.pk).alive
    assert Event.objects.get(kind="kill_rejected").data["reason"] == "No witness"
    assert rules.chain_problems(running_game) == []


def test_a_game_master_settles_a_disputed_kill_while_the_game_is_paused(gm_client, running_game, killer):
    # A pause stops the players; the game master settles what waits, confirming as well as rejecting.
    kill = disputed_kill(killer)
    rules.game_pause(game=running_game, actor="gm:gm")

    gm_client.post(reverse("admin:game_kill_confirm", args=[kill.pk]), {"reason": "Seen by a teacher"})

    kill.refresh_from_db()
    assert (kill.status, kill.reason) == ("confirmed", "Seen by a teacher")
    assert rules.chain_problems(running_game) == []


def test_a_player_cannot_confirm_while_the_game_is_paused(running_game, killer):
    kill = rules.kill_declare(killer=killer, actor="player")
    rules.game_pause(game=running_game, actor="gm:gm")

    with pytest.raises(rules.RuleError, match="paused"):
        rules.kill_confirm(kill=kill, actor="player:victim")


def test_a_rejection_needs_a_reason_the_killer_will_read(gm_client, running_game, killer, victim):
    kill = rules.kill_declare(killer=killer, actor="player")

    response = gm_client.post(reverse("admin:game_kill_reject", args=[kill.pk]), {"reason": "   "})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    kill.refresh_from_db()
    assert kill.status == "pending"
    with pytest.raises(rules.RuleError, match="Say why"):
        rules.kill_reject(kill=kill, actor="gm:gm", reason=" ")


@pytest.mark.parametrize("inherits", [True, False])
def test_undo_restores_the_chain_exactly(gm_client, running_game, killer, inherits):
    Game.objects.filter(pk=running_game.pk).update(killer_inherits_mission=inherits)
    before = snapshot(running_game)
    kill = rules.kill_declare(killer=killer, actor="player")
    gm_client.post(reverse("admin:game_kill_confirm", args=[kill.pk]), {"reason": ""})
    assert snapshot(running_game) != before

    gm_client.post(reverse("admin:game_kill_undo", args=[kill.pk]), {"reason": "Wrong victim"})

    assert snapshot(running_game) == before
    assert rules.chain_problems(running_game) == []
    kill.refresh_from_db()
    assert (kill.status, kill.reason) == ("cancelled", "Wrong victim")
    assert Event.objects.get(kind="kill_undone").actor == "gm:gm"


def test_undo_of_the_winning_kill_restarts_the_game(
    gm_client, running_game, killer, victim, bystander, hunter
):
    rules.kill_force(victim=bystander, actor="gm:gm")
    rules.kill_force(victim=hunter, actor="gm:gm")
    before = snapshot(running_game)
    kill = rules.kill_declare(killer=killer, actor="player")
    rules.kill_confirm(kill=kill, actor="player")
    running_game.refresh_from_db()
    assert (running_game.status, running_game.winner) == (
        Game.Status.FINISHED,
        Player.objects.get(pk=killer.pk),
    )

    gm_client.post(reverse("admin:game_kill_undo", args=[kill.pk]), {"reason": ""})

    assert snapshot(running_game) == before
    assert before[0] == Game.Status.RUNNING


def test_undo_refused_after_a_later_kill_says_why(gm_client, running_game, killer, victim):
    first = rules.kill_declare(killer=killer, actor="player")
    rules.kill_confirm(kill=first, actor="player")
    second = rules.kill_declare(killer=killer, actor="player")
    rules.kill_confirm(kill=second, actor="player")
    before = snapshot(running_game)

    response = gm_client.post(reverse("admin:game_kill_undo", args=[first.pk]), {"reason": ""}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [
        "Later changes to the chain prevent undoing this kill: Killer no longer hunts the player "
        "Victim hunted. Revive Victim instead."
    ]
    assert snapshot(running_game) == before


def test_the_kill_page_is_read_only_with_the_buttons_that_apply(gm_client, killer):
    kill = disputed_kill(killer)

    response = gm_client.get(reverse("admin:game_kill_change", args=[kill.pk]))

    assert response.status_code == 200
    assert reverse("admin:game_kill_confirm", args=[kill.pk]).encode() in response.content
    assert reverse("admin:game_kill_undo", args=[kill.pk]).encode() not in response.content
    assert b'name="_save"' not in response.content


def test_kills_cannot_be_added_or_deleted_in_the_admin(gm_client, killer):
    kill = disputed_kill(killer)

    assert gm_client.get(reverse("admin:game_kill_add")).status_code == 403
    assert (
        gm_client.post(reverse("admin:game_kill_delete", args=[kill.pk]), {"post": "yes"}).status_code == 403
    )
    assert Kill.objects.filter(pk=kill.pk).exists()
