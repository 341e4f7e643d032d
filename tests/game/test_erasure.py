"""rules.game_erase_personal_data: after the season, nothing in the database tells who played a game,
and its statistics are what they were."""

import json

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from game import rules
from game.models import Event, Game, Kill, Player
from sheets_sync.models import GameSheet
from tests.conftest import build_cast, fresh, login

pytestmark = pytest.mark.django_db

GM = "gm:gm"


def play_a_season(game_master):
    """A game of five, played to its end through every rule that records a player's name, e-mail,
    group, code or a typed reason, with an admin history and a linked sheet. Returns the game and every
    personal value it ever held."""
    cast = build_cast(players=5)
    game = cast.game
    killer, victim, bystander, quitter, hunter = (
        cast.killer,
        cast.victim,
        cast.bystander,
        Player.objects.get(game=game, name="Player 3"),
        cast.hunter,
    )
    # (Not the name "Player 3": the erasure names players so.)
    personal = {p.name for p in (killer, victim, bystander, hunter)}
    personal |= {p.email for p in (killer, victim, bystander, quitter, hunter)}
    for i, player in enumerate((killer, victim, bystander, quitter, hunter)):
        rules.player_update(
            player=player,
            actor=GM,
            name=f"Zoé Marchand-{i}",
            email=f"zoe.marchand{i}@lycee.example",
            group=f"Terminale Q{i}",
        )
        personal |= {f"Zoé Marchand-{i}", f"zoe.marchand{i}@lycee.example", f"Terminale Q{i}"}
        player.refresh_from_db()
        personal |= {player.login_code, player.death_code}
    LogEntry.objects.create(
        user=game_master,
        content_type=ContentType.objects.get_for_model(Player),
        object_id=str(killer.pk),
        object_repr=fresh(killer).name,
        action_flag=CHANGE,
        change_message="[]",
    )
    GameSheet.objects.create(
        game=game,
        spreadsheet_key="sheet-of-the-season",
        synced={"Players": {str(killer.pk): {"name": fresh(killer).name, "email": killer.email}}},
        warnings=[f"Players row 2: {fresh(killer).name}"],
    )

    declared = rules.kill_declare(killer=fresh(killer), actor=rules.actor_for_player(fresh(killer)))
    rules.kill_deny(kill=declared, actor=rules.actor_for_player(fresh(victim)))
    rules.kill_reject(kill=declared, actor=GM, reason="Zoé-1 was in the nurse's office")
    rules.kill_with_death_code(
        killer=fresh(killer), death_code=fresh(victim).death_code, actor=rules.actor_for_player(fresh(killer))
    )
    forced = rules.kill_force(victim=fresh(bystander), actor=GM, reason="Seen by Mme Dupuis-Zq")
    rules.kill_undo(kill=forced, actor=GM, reason="Mme Dupuis-Zq was wrong")
    rules.death_report(victim=fresh(bystander), actor=rules.actor_for_player(fresh(bystander)))
    rules.player_drop_out(player=fresh(quitter), actor=GM)
    rules.player_new_codes(player=fresh(hunter), actor=GM)
    personal |= {fresh(hunter).login_code, fresh(hunter).death_code}
    rules.kill_with_death_code(
        killer=fresh(killer), death_code=fresh(hunter).death_code, actor=rules.actor_for_player(fresh(killer))
    )
    rules.player_delete(player=fresh(quitter), actor=GM)
    personal |= {"Zoé-1 was in the nurse's office", "Seen by Mme Dupuis-Zq", "Mme Dupuis-Zq was wrong"}
    assert fresh(game).status == Game.Status.FINISHED
    return fresh(game), personal


def rows_of(game):
    """Every row that belongs to the game: its own, those of every model with a key to it (whatever
    app), and the admin's history of its players and kills."""
    game = Game.objects.get(pk=game.pk)
    rows = [game]
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Game:
                rows += model.objects.filter(**{field.name: game})
    for model in (Player, Kill):
        ids = [str(pk) for pk in model.objects.filter(game=game).values_list("pk", flat=True)]
        rows += LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=ids
        )
    return rows


def texts_of(row):
    """The values of the row's text and JSON columns, as text."""
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict | list):
            yield json.dumps(value, ensure_ascii=False)


def personal_values_left(game, personal):
    return {
        (type(row).__name__, row.pk, value)
        for row in rows_of(game)
        for text in texts_of(row)
        for value in personal
        if value and value in text
    }


def statistics(game):
    game = fresh(game)
    return {
        "game": (game.status, game.winner_id, game.started_at, game.finished_at, game.name),
        "ranking": [
            (p.pk, p.kill_count, p.alive, p.dropped_out, p.eliminated_at, p.mission_id)
            for p in game.players.ranked()
        ],
        "kills": list(
            game.kills.order_by("pk").values_list(
                "pk",
                "killer_id",
                "victim_id",
                "mission_text",
                "method",
                "status",
                "created_at",
                "resolved_at",
            )
        ),
        "missions": list(game.missions.order_by("pk").values_list("pk", "text", "active")),
        "events": list(game.events.order_by("pk").values_list("pk", "kind", "player_id", "created_at")),
    }


def everything(game):
    """Every value of every row of the game, to see that nothing changed at all."""
    return [(type(row).__name__, row.pk, list(texts_of(row)), statistics(game)) for row in rows_of(game)]


def test_it_leaves_no_personal_value_of_the_game_in_the_database(game_master):
    game, personal = play_a_season(game_master)
    assert personal_values_left(game, personal)  # the search finds them before

    rules.game_erase_personal_data(game=game, actor=GM)

    assert personal_values_left(game, personal) == set()


def test_it_keeps_the_statistics_and_the_event_log(game_master):
    game, _personal = play_a_season(game_master)
    before = statistics(game)

    rules.game_erase_personal_data(game=game, actor=GM)

    after = statistics(game)
    erased = after["events"].pop()
    assert erased[1] == "personal_data_erased"
    assert after == before
    assert fresh(game).personal_data_erased_at is not None


def test_it_names_players_by_number_everywhere_they_were_named(game_master):
    game, _personal = play_a_season(game_master)
    winner = fresh(game).winner

    rules.game_erase_personal_data(game=game, actor=GM)

    players = list(game.players.order_by("pk"))
    assert [p.name for p in players] == [f"Player {n}" for n in (1, 2, 3, 4)]
    assert all(p.email == "" and p.group == "" for p in players)
    winner = fresh(winner)
    assert winner.name == "Player 1"
    assert game.events.filter(actor=rules.actor_for_player(winner)).exists()
    assert game.kills.filter(resolved_by=rules.actor_for_player(winner)).exists()
    assert set(game.kills.values_list("reason", flat=True)) == {""}
    assert LogEntry.objects.get(object_id=str(winner.pk)).object_repr == "Player 1"


def test_it_leaves_other_games_untouched(game_master):
    other = build_cast()
    rules.kill_force(victim=other.victim, actor=GM, reason="Caught at lunch")
    before = everything(other.game)
    game, _personal = play_a_season(game_master)

    rules.game_erase_personal_data(game=game, actor=GM)

    assert everything(other.game) == before


@pytest.mark.parametrize("finish", [False, True])
def test_it_refuses_an_unfinished_game_or_an_erased_one_and_changes_nothing(cast, finish):
    if finish:
        rules.game_finish(game=cast.game, actor=GM)
        rules.game_erase_personal_data(game=cast.game, actor=GM)
    before = everything(cast.game)

    with pytest.raises(rules.RuleError, match="finish the game first" if not finish else "has been erased"):
        rules.game_erase_personal_data(game=cast.game, actor=GM)

    assert everything(cast.game) == before


def test_the_old_codes_log_nobody_in_and_the_erased_ones_cannot_be_typed(client, cast):
    code = cast.killer.login_code
    rules.game_finish(game=cast.game, actor=GM)
    rules.game_erase_personal_data(game=cast.game, actor=GM)

    for typed in (code, fresh(cast.killer).login_code):
        response = client.post("/api/login", {"code": typed}, content_type="application/json")
        assert response.status_code == 400, response.content
        assert "error" in response.json()


def test_a_session_opened_before_the_erasure_ends(client, cast):
    login(client, cast.killer)
    rules.game_finish(game=cast.game, actor=GM)
    rules.game_erase_personal_data(game=cast.game, actor=GM)

    assert client.get("/api/me").status_code in (401, 403)


def test_the_players_of_an_erased_game_can_no_longer_be_changed(cast):
    last = rules.kill_with_death_code(
        killer=cast.killer, death_code=cast.victim.death_code, actor=rules.actor_for_player(cast.killer)
    )
    rules.game_finish(game=cast.game, actor=GM)
    rules.game_erase_personal_data(game=cast.game, actor=GM)
    before = everything(cast.game)

    with pytest.raises(rules.RuleError, match="erased"):
        rules.player_update(player=cast.killer, actor="sync", name="Zoé Marchand")
    with pytest.raises(rules.RuleError, match="erased"):
        rules.player_new_codes(player=cast.killer, actor=GM)
    with pytest.raises(rules.RuleError, match="erased"):
        rules.kill_undo(kill=last, actor=GM)
    with pytest.raises(rules.RuleError, match="erased"):
        rules.game_reopen(game=cast.game, actor=GM)

    assert everything(cast.game) == before


def test_it_empties_the_sheet_s_copy_of_the_cells(cast):
    sheet = GameSheet.objects.create(
        game=cast.game,
        spreadsheet_key="k",
        synced={"Players": {str(cast.killer.pk): {"name": "Killer"}}},
        warnings=["Players row 2: Killer"],
        last_error="Killer",
    )
    rules.game_finish(game=cast.game, actor=GM)

    rules.game_erase_personal_data(game=cast.game, actor=GM)

    sheet.refresh_from_db()
    assert (sheet.synced, sheet.warnings, sheet.last_error) == ({}, [], "")
    assert sheet.spreadsheet_key == "k"


def test_it_writes_one_event_and_moves_every_player_s_version(cast):
    rules.game_finish(game=cast.game, actor=GM)
    version = fresh(cast.game).version

    rules.game_erase_personal_data(game=cast.game, actor=GM)

    event = cast.game.events.order_by("-pk").first()
    assert (event.kind, event.actor, event.data) == ("personal_data_erased", GM, {"players": 4})
    assert fresh(cast.game).version == version + 1
    assert set(cast.game.players.values_list("version", flat=True)) == {version + 1}


def test_delete_removes_a_finished_game_with_its_events_and_refuses_an_unfinished_one(cast):
    other = build_cast()
    with pytest.raises(rules.RuleError, match="finished"):
        rules.game_delete(game=cast.game, actor=GM)
    assert Game.objects.filter(pk=cast.game.pk).exists()

    rules.game_finish(game=cast.game, actor=GM)
    rules.game_delete(game=cast.game, actor=GM)

    assert not Game.objects.filter(pk=cast.game.pk).exists()
    assert not Event.objects.filter(game_id=cast.game.pk).exists()
    assert not Player.objects.filter(game_id=cast.game.pk).exists()
    assert other.game.events.exists()
