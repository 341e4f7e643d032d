"""A whole game out as JSON and back in: "everything" remakes the game as it was, "setup" a fresh draft;
a bad file is refused with what is wrong, and changes nothing."""

import copy
import random
from collections import Counter

import pytest
from django.test import TestCase
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from game import rules, transfer
from game.models import Event, Game, Kill, Mission, Player
from tests.game.test_invariants import GameMachine


def comparable(document):
    """A document as a second export of its import must match it: but for the time of the export, the
    game's name, the codes (taken here by the original, so new) and the import's own event."""
    document = copy.deepcopy(document)
    document.pop("exported_at")
    document["game"].pop("name")
    for player in document["players"]:
        del player["login_code"], player["death_code"]
    if document["events"] and document["events"][-1]["kind"] == transfer.IMPORT_EVENT:
        document["events"].pop()
    return document


def assert_sound(game):
    """What every game must hold: one cycle of the alive players with missions, kill counts that are
    the confirmed kills."""
    assert rules.chain_problems(game) == []
    confirmed = Counter(Kill.objects.confirmed().filter(game=game).values_list("killer", flat=True))
    assert {p.pk: p.kill_count for p in game.players.all()} == {
        p.pk: confirmed[p.pk] for p in game.players.all()
    }


def assert_round_trip(game):
    before = transfer.export_game(game)
    imported = transfer.import_game(before, name="Copy")
    after = transfer.export_game(imported)
    assert imported.pk != game.pk
    assert after["game"]["name"] == "Copy"
    assert comparable(after) == comparable(before)
    assert after["events"][-1]["kind"] == transfer.IMPORT_EVENT
    assert_sound(imported)
    return imported


class RoundTripMachine(GameMachine):
    """The random games of test_invariants.py, each exported and imported at its end."""

    def teardown(self):
        assert_round_trip(self.game)


class TestRandomGamesRoundTrip(TestCase):
    def tearDown(self):
        rules.rng = random.SystemRandom()

    def test_a_randomly_played_game_comes_back_as_it_was(self):
        run_state_machine_as_test(
            RoundTripMachine,
            settings=settings(
                max_examples=5,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )


@pytest.fixture
def played_game(make_cast):
    """A game played for a while: a confirmed kill, one by death code, a late player, a disputed kill,
    a dropout, a mission out of the pool. Killer → Victim → Bystander → Player 3 → Player 4 → Hunter."""
    cast = make_cast(players=6)
    game = cast.game
    rules.player_join(game=game, name="Late", email="late@example.org", group="6B", actor="gm:gm")
    # Late went in at a random place: the killer kills whoever they hunt now, twice.
    rules.kill_confirm(kill=rules.kill_declare(killer=cast.killer, actor="k"), actor="v")
    killer = Player.objects.get(pk=cast.killer.pk)
    target = Player.objects.get(pk=killer.target_id)
    rules.kill_with_death_code(killer=killer, death_code=target.death_code, actor="k")
    rules.kill_deny(kill=rules.kill_declare(killer=cast.hunter, actor="h"), actor="v")
    rules.player_drop_out(player=Player.objects.get(game=game, name="Player 4"), actor="gm:gm")
    rules.mission_add(game=game, text="Borrow their pen", active=False, actor="gm:gm")
    game.refresh_from_db()
    return game


def test_everything_comes_back_as_it_was(played_game):
    imported = assert_round_trip(played_game)

    assert imported.status == Game.Status.RUNNING
    assert imported.kills.open().get().status == Kill.Status.DENIED
    assert imported.events.count() == played_game.events.count() + 1


def test_event_data_names_the_rows_of_the_new_game(played_game):
    imported = transfer.import_game(transfer.export_game(played_game))

    confirmed = imported.events.filter(kind="kill_confirmed").first()
    kill = Kill.objects.get(pk=confirmed.data["kill"])
    assert kill.game == imported
    assert Player.objects.get(pk=confirmed.data["killer"]).game == imported


def test_a_finished_game_keeps_its_winner(cast):
    rules.game_finish(game=cast.game, actor="gm:gm")
    Player.objects.filter(game=cast.game).exclude(pk=cast.killer.pk).update(alive=False)
    Game.objects.filter(pk=cast.game.pk).update(winner=cast.killer)
    cast.game.refresh_from_db()

    imported = transfer.import_game(transfer.export_game(cast.game))

    assert imported.status == Game.Status.FINISHED
    assert imported.winner.name == "Killer"
    assert imported.winner.game == imported


def test_an_erased_game_exports_but_cannot_be_imported(cast):
    rules.game_finish(game=cast.game, actor="gm:gm")
    rules.game_erase_personal_data(game=cast.game, actor="gm:gm")
    cast.game.refresh_from_db()
    document = transfer.export_game(cast.game)
    games = Game.objects.count()

    assert document["game"]["personal_data_erased_at"] is not None
    with pytest.raises(rules.RuleError, match="personal data was erased"):
        transfer.import_game(document)
    assert Game.objects.count() == games


def test_times_keep_their_moment(played_game):
    document = transfer.export_game(played_game)
    imported = transfer.import_game(document)

    assert imported.created_at == played_game.created_at
    assert imported.started_at == played_game.started_at
    kill = played_game.kills.confirmed().order_by("pk").first()
    assert imported.kills.confirmed().order_by("pk").first().resolved_at == kill.resolved_at
    assert document["game"]["created_at"].endswith("+00:00")


def test_codes_free_on_this_server_are_kept(played_game):
    document = transfer.export_game(played_game)
    codes = {(p["name"], p["login_code"], p["death_code"]) for p in document["players"]}
    # As on another server: the players of the original are not there.
    Game.objects.all().delete()

    imported = transfer.import_game(document)

    assert set(imported.players.values_list("name", "login_code", "death_code")) == codes
    assert transfer.new_codes(imported) == 0


def test_codes_taken_on_this_server_are_new_and_counted(played_game):
    document = transfer.export_game(played_game)
    kept = Player.objects.get(game=played_game, name="Victim")
    kept_codes = (kept.login_code, kept.death_code)
    Player.objects.filter(game=played_game).exclude(pk=kept.pk).delete()
    kept.login_code, kept.death_code = "TAKEN1", "TAKEN2"
    kept.save()
    Player.objects.create(game=played_game, name="Other", death_code=document["players"][0]["death_code"])

    assert transfer.preview_import(document).new_codes == 1
    imported = transfer.import_game(document)

    assert transfer.new_codes(imported) == 1
    first = imported.players.get(name=document["players"][0]["name"])
    assert first.death_code != document["players"][0]["death_code"]
    assert first.login_code != document["players"][0]["login_code"]
    assert (
        imported.players.get(name="Victim").login_code,
        imported.players.get(name="Victim").death_code,
    ) == (kept_codes)


def test_setup_gives_a_fresh_draft_that_starts(played_game):
    document = transfer.export_game(played_game)

    draft = transfer.import_game(document, what="setup", name="Next year")

    assert draft.status == Game.Status.SETUP
    assert draft.name == "Next year"
    assert draft.confirmation_mode == played_game.confirmation_mode
    assert list(draft.missions.values_list("text", "active")) == list(
        played_game.missions.order_by("pk").values_list("text", "active")
    )
    assert list(draft.players.order_by("pk").values_list("name", "email", "group")) == list(
        played_game.players.order_by("pk").values_list("name", "email", "group")
    )
    assert not draft.players.filter(alive=False).exists()
    assert not draft.players.exclude(kill_count=0).exists()
    assert not draft.kills.exists()
    assert list(draft.events.values_list("kind", flat=True)) == [transfer.IMPORT_EVENT]
    old_codes = set(played_game.players.values_list("login_code", flat=True))
    assert not old_codes & set(draft.players.values_list("login_code", flat=True))

    rules.game_start(game=draft, actor="gm:gm")
    draft.refresh_from_db()
    assert draft.status == Game.Status.RUNNING
    assert_sound(draft)


def test_the_import_writes_its_event(played_game):
    imported = transfer.import_game(
        transfer.export_game(played_game), actor="gm:gm", source="spring.json", what="setup"
    )

    event = imported.events.get()
    assert (event.kind, event.actor) == (transfer.IMPORT_EVENT, "gm:gm")
    assert event.data == {"source": "spring.json", "what": "setup", "new_codes": 0}


# --- Bad files ------------------------------------------------------------------------------------


def broken(document, change):
    document = copy.deepcopy(document)
    change(document)
    return document


def first_player(document):
    return document["players"][0]


def alive(document):
    return [p for p in document["players"] if p["alive"]]


def set_status(status):
    return lambda d: d["game"].update(status=status)


def split_in_two_cycles(document):
    alive = [p for p in document["players"] if p["alive"]]
    for player in alive:
        player["target"] = None
    halves = (alive[: len(alive) // 2], alive[len(alive) // 2 :])
    for half in halves:
        for i, player in enumerate(half):
            player["target"] = half[(i + 1) % len(half)]["id"]


def drop_a_target(document):
    next(p for p in document["players"] if p["target"])["target"] = None


BAD_FILES = [
    ("not a game", lambda d: d.clear(), "This is not a Killer game file."),
    ("another format", lambda d: d.update(format="other"), "This is not a Killer game file."),
    (
        "a newer version",
        lambda d: d.update(version=2),
        "This game file is version 2; this server reads version 1.",
    ),
    ("no player list", lambda d: d.pop("players"), "The file has no list of players."),
    ("no game", lambda d: d.pop("game"), "The game is not a JSON object."),
    (
        "a row without an id",
        lambda d: first_player(d).pop("id"),
        "Row 1 of the players has no id of its own (a whole number used once).",
    ),
    (
        "two rows with one id",
        lambda d: d["players"][1].update(id=d["players"][0]["id"]),
        "Row 2 of the players has no id of its own (a whole number used once).",
    ),
    ("a missing field", lambda d: first_player(d).pop("alive"), "Player 1, alive: missing."),
    ("a number for a text", lambda d: first_player(d).update(name=3), "Player 1, name: not a text."),
    (
        "a text for a flag",
        lambda d: first_player(d).update(alive="yes"),
        "Player 1, alive: not true or false.",
    ),
    (
        "a negative count",
        lambda d: first_player(d).update(kill_count=-1),
        "Player 1, kill_count: not a whole number from 0 to 2147483647.",
    ),
    (
        "a count the column cannot hold",
        lambda d: first_player(d).update(kill_count=2**31),
        "Player 1, kill_count: not a whole number from 0 to 2147483647.",
    ),
    (
        "a name too long",
        lambda d: first_player(d).update(name="x" * 101),
        "Player 1, name: The name is 101 characters long; at most 100 fit.",
    ),
    ("an empty name", lambda d: first_player(d).update(name=""), "Player 1, name: A player needs a name."),
    (
        "a direction mark",
        lambda d: d["missions"][0].update(text="evil\u202etext"),
        "Mission 1, text: Control characters, invisible characters and text direction marks are not allowed.",
    ),
    (
        "a bad email",
        lambda d: first_player(d).update(email="nope"),
        "Player 1, email: nope is not an email address.",
    ),
    (
        "an unknown status",
        set_status("won"),
        'The game, status: "won" is none of setup, running, paused, finished.',
    ),
    (
        "a time without a zone",
        lambda d: d["game"].update(created_at="2026-03-01T10:00:00"),
        'The game, created_at: "2026-03-01T10:00:00" is not an ISO 8601 time with its time zone.',
    ),
    (
        "a target that is nobody",
        lambda d: first_player(d).update(target=99),
        "Player 1, target: 99 refers to nothing in the file.",
    ),
    (
        "a kill by nobody",
        lambda d: d["kills"][0].update(killer=None),
        "Kill 1, killer: null refers to nothing in the file.",
    ),
    (
        "event data naming nothing",
        lambda d: d["events"][-1]["data"].update(kill=99),
        "refers to nothing in the file.",
    ),
    (
        "a duplicate code",
        lambda d: d["players"][1].update(login_code=d["players"][0]["login_code"]),
        "Players 1 and 2 have the same login_code.",
    ),
    (
        "a code with spaces",
        lambda d: first_player(d).update(death_code="ab cd"),
        "Player 1, death_code: a code is made of capital letters and digits, without spaces.",
    ),
    (
        "two hunters on one target",
        lambda d: next(p for p in alive(d) if p["id"] not in (1, first_player(d)["target"])).update(
            target=first_player(d)["target"]
        ),
        "both hunt player",
    ),
    ("a player hunting themselves", lambda d: first_player(d).update(target=1), "Player 1 hunts themselves."),
    (
        "targets in a game not under way",
        set_status("setup"),
        "has a target in a game that is not under way.",
    ),
    ("a cycle that is two", split_in_two_cycles, "The targets form more than one cycle."),
    ("a player without a target", drop_a_target, "has no target."),
]
# A setup import deals a new chain at the start: the old one is checked on "everything" only.
CHAIN_CASES = {"a cycle that is two", "a player without a target"}
CASES = [("everything", *case) for case in BAD_FILES] + [
    ("setup", *case) for case in BAD_FILES if case[0] not in CHAIN_CASES
]


@pytest.mark.parametrize(("what", "case", "change", "message"), CASES, ids=[f"{w}-{c}" for w, c, *_ in CASES])
def test_a_bad_file_is_refused_with_what_is_wrong_and_changes_nothing(
    played_game, what, case, change, message
):
    document = transfer.export_game(played_game)
    bad = broken(document, change)
    counts = [model.objects.count() for model in (Game, Mission, Player, Kill, Event)]

    with pytest.raises(rules.RuleError) as refused:
        transfer.import_game(bad, what=what)

    assert message in refused.value.message
    assert refused.value.status == 400
    assert [model.objects.count() for model in (Game, Mission, Player, Kill, Event)] == counts


def test_a_bad_new_name_is_refused(played_game):
    with pytest.raises(rules.RuleError, match="The new name, name: A game needs a name."):
        transfer.import_game(transfer.export_game(played_game), name="")
    assert Game.objects.count() == 1


def test_a_live_game_needs_two_players_alive(played_game):
    def one_alive(document):
        for player in document["players"]:
            player.update(alive=False, target=None)
        document["kills"].clear()
        document["events"].clear()
        document["game"]["winner"] = None

    with pytest.raises(rules.RuleError, match="A live game needs at least two players alive."):
        transfer.import_game(broken(transfer.export_game(played_game), one_alive))
    assert Game.objects.count() == 1


def test_an_empty_game_comes_back_too(db):
    game = Game.objects.create(name="Empty")
    Mission.objects.create(game=game, text="Say hello")

    imported = transfer.import_game(transfer.export_game(game))

    assert comparable(transfer.export_game(imported)) == comparable(transfer.export_game(game))
