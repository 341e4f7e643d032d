from collections import Counter

import pytest

from game import rules
from game.models import Event, Game, Kill, Player
from tests.conftest import chain_from, fresh, make_game

pytestmark = pytest.mark.django_db


def assert_chain_whole(game):
    assert rules.chain_problems(fresh(game)) == []


# --- start ----------------------------------------------------------------------------------------


def test_start_puts_every_player_in_one_cycle_with_a_mission():
    game = make_game(players=12, missions=5)
    rules.game_start(game=game, actor="gm")
    game.refresh_from_db()
    assert game.status == Game.Status.RUNNING
    assert game.started_at is not None
    assert_chain_whole(game)
    assert len(chain_from(game.players.first())) == 12


def test_start_deals_missions_without_repeats_while_the_pool_allows():
    game = make_game(players=12, missions=5)
    rules.game_start(game=game, actor="gm")
    held = Counter(game.players.values_list("mission_id", flat=True))
    assert len(held) == 5
    assert sorted(held.values()) == [2, 2, 2, 3, 3]

    roomy = make_game(players=5, missions=8)
    rules.game_start(game=roomy, actor="gm")
    assert len(set(roomy.players.values_list("mission_id", flat=True))) == 5


def test_start_refuses_a_game_without_missions_or_players():
    with pytest.raises(rules.RuleError, match="mission"):
        rules.game_start(game=make_game(missions=0), actor="gm")
    with pytest.raises(rules.RuleError, match="two players"):
        rules.game_start(game=make_game(players=1), actor="gm")


def test_start_refuses_a_started_game(cast):
    with pytest.raises(rules.RuleError):
        rules.game_start(game=cast.game, actor="gm")


def test_start_leaves_out_players_who_dropped_out_before():
    game = make_game(players=4)
    quitter = game.players.first()
    rules.player_drop_out(player=quitter, actor="gm")
    rules.game_start(game=game, actor="gm")
    assert fresh(quitter).target is None
    assert len(chain_from(game.players.alive().first())) == 3


# --- declare / confirm / deny ---------------------------------------------------------------------


def test_a_confirmed_kill_hands_the_victims_target_and_mission_to_the_killer(cast):
    victim_target, victim_mission = cast.victim.target_id, cast.victim.mission_id
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    assert kill.status == Kill.Status.PENDING
    assert fresh(cast.victim).alive

    rules.kill_confirm(kill=kill, actor="victim")

    killer, victim = fresh(cast.killer), fresh(cast.victim)
    assert fresh(kill).status == Kill.Status.CONFIRMED
    assert not victim.alive and victim.eliminated_at is not None and victim.target is None
    assert killer.target_id == victim_target
    assert killer.mission_id == victim_mission
    assert killer.kill_count == 1
    assert_chain_whole(cast.game)


def test_a_killer_draws_a_new_mission_when_the_game_says_so(make_cast):
    cast = make_cast(killer_inherits_mission=False)
    own_mission = cast.killer.mission_id
    rules.kill_confirm(kill=rules.kill_declare(killer=cast.killer, actor="k"), actor="v")
    assert fresh(cast.killer).mission_id not in (None, own_mission)
    assert_chain_whole(cast.game)


def test_a_denied_kill_is_disputed_and_changes_nothing_else(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    rules.kill_deny(kill=kill, actor="victim")
    assert fresh(kill).status == Kill.Status.DENIED
    assert fresh(cast.victim).alive
    assert fresh(cast.killer).target_id == cast.victim.pk
    with pytest.raises(rules.RuleError, match="already waiting"):
        rules.kill_declare(killer=cast.killer, actor="killer")


def test_a_game_master_settles_a_dispute_either_way(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    rules.kill_deny(kill=kill, actor="victim")
    rules.kill_reject(kill=kill, actor="gm", reason="no witness")
    assert fresh(kill).status == Kill.Status.REJECTED
    assert fresh(cast.victim).alive

    again = rules.kill_declare(killer=cast.killer, actor="killer")
    rules.kill_deny(kill=again, actor="victim")
    rules.kill_confirm(kill=again, actor="gm")
    assert not fresh(cast.victim).alive


def test_automatic_mode_counts_a_declared_kill_at_once(make_cast):
    cast = make_cast(confirmation_mode=Game.ConfirmationMode.AUTOMATIC)
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    assert kill.status == Kill.Status.CONFIRMED
    assert not fresh(cast.victim).alive


def test_code_only_mode_refuses_declarations(make_cast):
    cast = make_cast(confirmation_mode=Game.ConfirmationMode.CODE_ONLY)
    with pytest.raises(rules.RuleError) as refused:
        rules.kill_declare(killer=cast.killer, actor="killer")
    assert refused.value.status == 403
    assert not Kill.objects.exists()


def test_a_kill_cannot_be_confirmed_twice(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    rules.kill_confirm(kill=kill, actor="victim")
    with pytest.raises(rules.RuleError):
        rules.kill_confirm(kill=kill, actor="victim")
    assert fresh(cast.killer).kill_count == 1


def test_a_dead_player_cannot_declare(cast):
    rules.death_report(victim=cast.killer, actor="killer")
    with pytest.raises(rules.RuleError, match="out of the game"):
        rules.kill_declare(killer=cast.killer, actor="killer")


# --- death code / self-report ---------------------------------------------------------------------


def test_the_victims_death_code_confirms_a_kill_at_once(cast):
    code = cast.victim.death_code
    kill = rules.kill_with_death_code(killer=cast.killer, death_code=code.lower(), actor="killer")
    assert kill.status == Kill.Status.CONFIRMED and kill.method == Kill.Method.DEATH_CODE
    assert not fresh(cast.victim).alive
    assert_chain_whole(cast.game)


def test_someone_elses_death_code_does_nothing(cast):
    for code in (cast.bystander.death_code, cast.killer.death_code, "", "NOPE"):
        with pytest.raises(rules.RuleError) as refused:
            rules.kill_with_death_code(killer=cast.killer, death_code=code, actor="killer")
        assert refused.value.status == 400
    assert fresh(cast.bystander).alive and fresh(cast.victim).alive
    assert not Kill.objects.exists()


def test_the_death_code_settles_a_pending_declaration(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    rules.kill_with_death_code(killer=cast.killer, death_code=cast.victim.death_code, actor="killer")
    assert fresh(kill).status == Kill.Status.CONFIRMED
    assert Kill.objects.count() == 1


def test_a_self_reported_death_is_credited_to_the_hunter(cast):
    kill = rules.death_report(victim=cast.victim, actor="victim")
    assert kill.killer_id == cast.killer.pk and kill.method == Kill.Method.SELF_REPORT
    assert fresh(cast.killer).kill_count == 1
    assert fresh(cast.killer).target_id == cast.bystander.pk
    assert_chain_whole(cast.game)


# --- drop out, join, revive -----------------------------------------------------------------------


def test_when_a_player_drops_out_their_hunter_inherits_the_target(cast):
    rules.player_drop_out(player=cast.victim, actor="gm")
    victim = fresh(cast.victim)
    assert not victim.alive and victim.dropped_out
    assert fresh(cast.killer).target_id == cast.bystander.pk
    assert fresh(cast.killer).kill_count == 0
    assert_chain_whole(cast.game)


def test_dropping_out_cancels_the_players_own_claims(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    rules.player_drop_out(player=cast.killer, actor="gm")
    assert fresh(kill).status == Kill.Status.CANCELLED
    assert fresh(cast.victim).alive
    assert fresh(cast.hunter).target_id == cast.victim.pk


def test_a_late_player_is_inserted_into_the_cycle_with_a_mission(cast):
    late = rules.player_join(game=cast.game, name="Latecomer", actor="gm")
    late = fresh(late)
    assert late.target_id is not None and late.mission_id is not None
    assert_chain_whole(cast.game)
    assert len(chain_from(late)) == 5


def test_a_player_who_joins_before_the_start_just_waits():
    game = make_game(players=2)
    late = rules.player_join(game=game, name="Early", actor="gm")
    assert fresh(late).target is None
    rules.game_start(game=game, actor="gm")
    assert len(chain_from(fresh(late))) == 3


def test_a_revived_player_goes_back_right_after_the_chosen_player(cast):
    rules.death_report(victim=cast.victim, actor="victim")
    rules.player_revive(player=cast.victim, actor="gm", after=cast.bystander)
    assert fresh(cast.victim).alive
    assert fresh(cast.bystander).target_id == cast.victim.pk
    assert fresh(cast.victim).target_id == cast.hunter.pk
    assert_chain_whole(cast.game)


def test_reviving_a_living_player_is_refused(cast):
    with pytest.raises(rules.RuleError, match="alive already"):
        rules.player_revive(player=cast.victim, actor="gm")


def test_reviving_cancels_a_claim_the_new_link_made_stale(cast):
    rules.death_report(victim=cast.bystander, actor="bystander")  # victim now hunts hunter
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    rules.player_revive(player=cast.bystander, actor="gm", after=cast.killer)
    assert fresh(kill).status == Kill.Status.CANCELLED
    assert_chain_whole(cast.game)


# --- finish ---------------------------------------------------------------------------------------


def test_the_last_survivor_wins_automatically(cast):
    rules.death_report(victim=cast.victim, actor="v")
    rules.death_report(victim=cast.bystander, actor="b")
    rules.kill_with_death_code(killer=cast.killer, death_code=cast.hunter.death_code, actor="k")
    game = fresh(cast.game)
    assert game.status == Game.Status.FINISHED
    assert game.winner_id == cast.killer.pk
    assert game.finished_at is not None
    assert fresh(cast.killer).kill_count == 3


def test_the_last_drop_out_also_ends_the_game(make_cast):
    cast = make_cast()
    for player in (cast.victim, cast.bystander, cast.hunter):
        rules.player_drop_out(player=player, actor="gm")
    assert fresh(cast.game).winner_id == cast.killer.pk


def test_a_finished_game_accepts_no_more_kills(cast):
    rules.game_finish(game=cast.game, actor="gm")
    assert fresh(cast.game).winner is None
    with pytest.raises(rules.RuleError, match="not running"):
        rules.kill_declare(killer=cast.killer, actor="killer")


def test_a_paused_game_refuses_kill_reports_with_a_clear_message(cast):
    rules.game_pause(game=cast.game, actor="gm")
    for report in (
        lambda: rules.kill_declare(killer=cast.killer, actor="k"),
        lambda: rules.death_report(victim=cast.victim, actor="v"),
        lambda: rules.kill_with_death_code(killer=cast.killer, death_code=cast.victim.death_code, actor="k"),
    ):
        with pytest.raises(rules.RuleError, match="paused"):
            report()
    rules.game_resume(game=cast.game, actor="gm")
    rules.death_report(victim=cast.victim, actor="v")


# --- undo, reshuffle, repair, codes ---------------------------------------------------------------


def snapshot(game):
    return sorted(
        Player.objects.filter(game=game).values_list(
            "pk", "alive", "target_id", "mission_id", "kill_count", "eliminated_at"
        )
    )


def test_undo_restores_the_chain_exactly(cast):
    before = snapshot(cast.game)
    kill = rules.kill_with_death_code(killer=cast.killer, death_code=cast.victim.death_code, actor="k")
    rules.kill_undo(kill=kill, actor="gm", reason="wrong person")
    assert snapshot(cast.game) == before
    assert fresh(kill).status == Kill.Status.CANCELLED


def test_undo_of_the_winning_kill_reopens_the_game(cast):
    rules.death_report(victim=cast.victim, actor="v")
    rules.death_report(victim=cast.bystander, actor="b")
    before = snapshot(cast.game)
    final = rules.death_report(victim=cast.hunter, actor="h")
    assert fresh(cast.game).status == Game.Status.FINISHED
    rules.kill_undo(kill=final, actor="gm")
    assert snapshot(cast.game) == before
    game = fresh(cast.game)
    assert game.status == Game.Status.RUNNING and game.winner is None
    assert_chain_whole(game)


def test_undo_is_refused_when_a_later_kill_went_through_the_link(cast):
    first = rules.death_report(victim=cast.victim, actor="v")
    rules.death_report(victim=cast.bystander, actor="b")  # killer now hunts the hunter
    with pytest.raises(rules.RuleError, match="Revive"):
        rules.kill_undo(kill=first, actor="gm")
    assert fresh(first).status == Kill.Status.CONFIRMED


def test_reshuffle_keeps_everyone_alive_in_one_cycle_with_their_missions(cast):
    missions = dict(cast.game.players.values_list("pk", "mission_id"))
    rules.game_reshuffle(game=cast.game, actor="gm")
    assert_chain_whole(cast.game)
    assert dict(cast.game.players.values_list("pk", "mission_id")) == missions


def test_repair_joins_a_broken_chain_and_keeps_the_links_that_hold(cast):
    # Break the chain by hand, as a bad import or manual SQL would.
    Player.objects.filter(pk=cast.bystander.pk).update(target=None)
    assert rules.chain_problems(fresh(cast.game))
    rules.chain_repair(game=cast.game, actor="gm")
    assert_chain_whole(cast.game)
    assert fresh(cast.killer).target_id == cast.victim.pk
    assert fresh(cast.hunter).target_id == cast.killer.pk


def test_new_codes_replace_the_old_ones(cast):
    old = (cast.victim.login_code, cast.victim.death_code)
    rules.player_new_codes(player=cast.victim, actor="gm")
    victim = fresh(cast.victim)
    assert victim.login_code != old[0] and victim.death_code != old[1]


def test_every_change_is_logged_and_bumps_the_game_version(cast):
    version, events = fresh(cast.game).version, Event.objects.count()
    kill = rules.kill_declare(killer=cast.killer, actor="player:killer")
    rules.kill_confirm(kill=kill, actor="player:victim")
    assert fresh(cast.game).version > version
    kinds = list(Event.objects.order_by("pk").values_list("kind", "actor")[events:])
    assert kinds == [("kill_declared", "player:killer"), ("kill_confirmed", "player:victim")]
