"""Starting, pausing, resuming, finishing and reshuffling a game, its options, chain and dashboard."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from game import rules
from game.admin import GameAdmin
from game.admin_views import kills_per_hour
from game.models import Event, Game, Kill, Player


def action_url(game, action):
    return reverse("admin:game_game_action", args=[game.pk, action])


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_start_asks_for_confirmation_first(gm_client, setup_game):
    Player.objects.create(game=setup_game, name="Ann")
    Player.objects.create(game=setup_game, name="Bob")

    response = gm_client.get(action_url(setup_game, "start"))

    assert response.status_code == 200
    assert b'method="post"' in response.content
    setup_game.refresh_from_db()
    assert setup_game.status == Game.Status.SETUP


def test_start_puts_every_player_in_one_cycle_with_a_mission(gm_client, setup_game):
    for name in ("Ann", "Bob", "Cy"):
        Player.objects.create(game=setup_game, name=name)

    response = gm_client.post(action_url(setup_game, "start"))

    assert response.status_code == 302
    setup_game.refresh_from_db()
    assert setup_game.status == Game.Status.RUNNING
    assert rules.chain_problems(setup_game) == []
    assert Event.objects.get(kind="game_started").actor == "gm:gm"


def test_start_refused_shows_the_rules_message(gm_client, setup_game):
    Player.objects.create(game=setup_game, name="Alone")

    response = gm_client.post(action_url(setup_game, "start"), follow=True)

    assert response.status_code == 200
    assert "A game needs at least two players." in messages_of(response)
    setup_game.refresh_from_db()
    assert setup_game.status == Game.Status.SETUP


def test_pause_then_resume(gm_client, running_game):
    gm_client.post(action_url(running_game, "pause"))
    running_game.refresh_from_db()
    assert running_game.status == Game.Status.PAUSED

    gm_client.post(action_url(running_game, "resume"))
    running_game.refresh_from_db()
    assert running_game.status == Game.Status.RUNNING
    assert list(Event.objects.filter(actor="gm:gm").values_list("kind", flat=True)) == [
        "game_resumed",
        "game_paused",
    ]


def test_a_paused_game_refuses_kill_reports(gm_client, running_game, killer):
    gm_client.post(action_url(running_game, "pause"))

    with pytest.raises(rules.RuleError):
        rules.kill_declare(killer=killer, actor="player")


def test_finish_ends_the_game(gm_client, running_game):
    gm_client.post(action_url(running_game, "finish"))

    running_game.refresh_from_db()
    assert running_game.status == Game.Status.FINISHED
    assert not Player.objects.filter(game=running_game, target__isnull=False).exists()


def test_reshuffle_keeps_one_cycle_and_the_missions(gm_client, running_game):
    missions = dict(running_game.players.values_list("pk", "mission_id"))

    gm_client.post(action_url(running_game, "reshuffle"))

    assert rules.chain_problems(running_game) == []
    assert dict(running_game.players.values_list("pk", "mission_id")) == missions
    assert Event.objects.filter(kind="game_reshuffled", actor="gm:gm").exists()


def test_an_unknown_action_is_refused(gm_client, running_game):
    response = gm_client.post(action_url(running_game, "explode"))

    assert response.status_code == 404


def test_options_change_through_the_rule_and_log_an_event(gm_client, running_game):
    response = gm_client.post(
        reverse("admin:game_game_options", args=[running_game.pk]),
        {
            "confirmation_mode": "code_only",
            "killer_inherits_mission": "on",
            "claim_timeout_minutes": "0",
            "claim_timeout_action": "confirm",
        },
    )

    assert response.status_code == 302
    running_game.refresh_from_db()
    assert running_game.confirmation_mode == Game.ConfirmationMode.CODE_ONLY
    assert running_game.feed_names_killers is False
    assert running_game.killer_inherits_mission is True
    event = Event.objects.get(kind="game_options_changed")
    assert event.actor == "gm:gm"
    assert set(event.data["changes"]) == {"confirmation_mode", "feed_names_killers"}


def test_options_of_a_finished_game_are_refused_with_a_message(gm_client, running_game):
    rules.game_finish(game=running_game, actor="gm:gm")

    response = gm_client.post(
        reverse("admin:game_game_options", args=[running_game.pk]),
        {"confirmation_mode": "automatic", "claim_timeout_minutes": "0", "claim_timeout_action": "confirm"},
        follow=True,
    )

    assert "The game is finished." in messages_of(response)
    running_game.refresh_from_db()
    assert running_game.confirmation_mode == Game.ConfirmationMode.VICTIM


def test_the_options_cannot_be_changed_in_the_game_form(gm_client, running_game):
    gm_client.post(
        reverse("admin:game_game_change", args=[running_game.pk]),
        {
            "name": "Renamed",
            "confirmation_mode": "automatic",
            "missions-TOTAL_FORMS": "0",
            "missions-INITIAL_FORMS": "0",
            "forbidden_pairs-TOTAL_FORMS": "0",
            "forbidden_pairs-INITIAL_FORMS": "0",
        },
    )

    running_game.refresh_from_db()
    assert running_game.name == "Renamed"
    assert running_game.confirmation_mode == Game.ConfirmationMode.VICTIM


def test_chain_lists_the_alive_players_in_hunting_order(gm_client, running_game):
    response = gm_client.get(reverse("admin:game_game_chain", args=[running_game.pk]))

    names = [player.name for player, _linked in response.context["chain"]]
    start = names.index("Killer")
    assert (names[start:] + names[:start]) == ["Killer", "Victim", "Bystander", "Hunter"]
    assert response.context["problems"] == []
    assert b"Make them say" in response.content


def test_chain_shows_a_broken_chain_and_repairs_it(gm_client, running_game, killer, victim):
    # A broken chain, as a bug or a hand edit in the database could leave it.
    Player.objects.filter(pk=killer.pk).update(target=None)

    response = gm_client.get(reverse("admin:game_game_chain", args=[running_game.pk]))
    assert response.context["problems"] == ["Killer has no target."]
    assert any(not linked for _player, linked in response.context["chain"])

    response = gm_client.post(action_url(running_game, "repair"))

    assert response["Location"] == reverse("admin:game_game_chain", args=[running_game.pk])
    assert rules.chain_problems(running_game) == []
    assert Event.objects.filter(kind="chain_repaired", actor="gm:gm").exists()


def test_dashboard_shows_counts_disputes_and_top_killers(gm_client, running_game, killer, bystander):
    kill = rules.kill_declare(killer=killer, actor="player")
    rules.kill_confirm(kill=kill, actor="player")
    dispute = rules.kill_declare(killer=killer, actor="player")
    rules.kill_deny(kill=dispute, actor="player")

    response = gm_client.get(reverse("admin:game_game_dashboard", args=[running_game.pk]))

    assert response.status_code == 200
    assert response.context["counts"] == {"alive_count": 3, "eliminated_count": 1, "dropped_out_count": 0}
    assert response.context["disputed"] == [dispute]
    assert list(response.context["top_killers"]) == [killer]
    assert sum(bar["count"] for bar in response.context["chart"]["bars"]) == 1
    assert b"<svg" in response.content
    assert b"Not configured." in response.content


def test_dashboard_lists_disputes_oldest_first(gm_client, running_game, killer, bystander):
    first = rules.kill_declare(killer=killer, actor="player")
    rules.kill_deny(kill=first, actor="player")
    second = rules.kill_declare(killer=bystander, actor="player")
    rules.kill_deny(kill=second, actor="player")
    Kill.objects.filter(pk=second.pk).update(created_at=first.created_at.replace(year=2020))

    response = gm_client.get(reverse("admin:game_game_dashboard", args=[running_game.pk]))

    assert response.context["disputed"] == [second, first]


def test_dashboard_of_a_game_in_setup(gm_client, setup_game):
    response = gm_client.get(reverse("admin:game_game_dashboard", args=[setup_game.pk]))

    assert response.status_code == 200
    assert response.context["chain_problems"] == []


def test_kills_per_hour_counts_each_hour_since_the_start(running_game, killer, victim, bystander, hunter):
    start = timezone.make_aware(datetime(2026, 3, 2, 10, 15))
    Game.objects.filter(pk=running_game.pk).update(started_at=start)
    running_game.refresh_from_db()
    for victim_, minutes in ((victim, 0), (hunter, 130)):
        kill = rules.kill_force(victim=victim_, actor="gm:gm")
        Kill.objects.filter(pk=kill.pk).update(resolved_at=start + timedelta(minutes=minutes))

    bars = kills_per_hour(running_game, now=start + timedelta(hours=2, minutes=30))

    assert [(bar["hour"].hour, bar["count"]) for bar in bars] == [(10, 1), (11, 0), (12, 1)]


def test_big_chain_page_costs_a_few_queries(gm_client, big_game, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        response = gm_client.get(reverse("admin:game_game_chain", args=[big_game.pk]))

    assert len(response.context["chain"]) == 1000


def test_big_dashboard_costs_a_few_queries(gm_client, big_game, django_assert_max_num_queries):
    # Counts, chart, disputes, top killers, chain check, the sheet sync status and the missions in the
    # pool: none grows with the game.
    with django_assert_max_num_queries(12):
        gm_client.get(reverse("admin:game_game_dashboard", args=[big_game.pk]))


def test_the_chart_numbers_are_not_localised(client, game_master, running_game, killer):
    rules.kill_force(victim=killer, actor="gm:gm")
    client.force_login(game_master)

    response = client.get(
        reverse("admin:game_game_dashboard", args=[running_game.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    )

    svg = response.content.decode().split("<svg viewBox", 1)[1].split("</svg>", 1)[0]
    assert re.search(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+"', svg)
    assert not re.search(r'="\d+,\d+"', svg)


def test_renaming_a_game_loaded_before_a_pause_keeps_it_paused(rf, game_master, running_game):
    stale = Game.objects.get(pk=running_game.pk)
    rules.game_pause(game=running_game, actor="gm:gm")
    stale.name = "Renamed"
    request = rf.post("/")
    request.user = game_master

    GameAdmin(Game, admin.site).save_model(request, stale, form=None, change=True)

    running_game.refresh_from_db()
    assert (running_game.name, running_game.status) == ("Renamed", Game.Status.PAUSED)


def test_adding_a_game_with_missions_opens_its_dashboard(gm_client):
    response = gm_client.post(
        reverse("admin:game_game_add"),
        {
            "name": "Autumn game",
            "confirmation_mode": "automatic",
            "feed_names_killers": "on",
            "claim_timeout_minutes": "0",
            "claim_timeout_action": "confirm",
            "missions-TOTAL_FORMS": "2",
            "missions-INITIAL_FORMS": "0",
            "forbidden_pairs-TOTAL_FORMS": "0",
            "forbidden_pairs-INITIAL_FORMS": "0",
            "missions-0-text": "Sing a song",
            "missions-0-active": "on",
            "missions-1-text": "Shake hands",
            "missions-1-active": "on",
        },
    )

    game = Game.objects.get(name="Autumn game")
    assert response["Location"] == reverse("admin:game_game_dashboard", args=[game.pk])
    assert game.confirmation_mode == Game.ConfirmationMode.AUTOMATIC
    assert game.missions.count() == 2


def test_chain_of_a_game_in_setup_says_there_is_none_yet(gm_client, setup_game):
    Player.objects.create(game=setup_game, name="Ann")

    response = gm_client.get(reverse("admin:game_game_chain", args=[setup_game.pk]))

    assert response.context["chain"] == []
    assert b"The chain exists only while the game is running or paused." in response.content


def test_dashboard_shows_the_last_sync_with_its_error(gm_client, running_game):
    from django.utils import timezone

    from sheets_sync.models import GameSheet

    GameSheet.objects.create(
        game=running_game,
        spreadsheet_key="sheet-key",
        last_run_at=timezone.now(),
        last_error="Google answered 503 three times",
        calls=2,
        warnings=["Players row 7: unknown id 999"],
    )
    response = gm_client.get(reverse("admin:game_game_dashboard", args=[running_game.pk]))
    assert b"Google answered 503 three times" in response.content
    assert b"Players row 7: unknown id 999" in response.content
    assert b"Not configured." not in response.content
