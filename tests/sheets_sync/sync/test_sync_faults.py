"""Google on a bad day: the run gives up by its deadline, records why, exits non-zero; nothing is lost."""

import time

from game import rules
from game.models import Player
from sheets_sync.models import GameSheet
from tests.sheets_sync.sync.helpers import rows, sync, sync_fails, type_in


def edit_both_sides(sheets_emulator, game_sheet, running_game):
    """A game master adds a player in the sheet while a kill happens in the database."""
    type_in(sheets_emulator, game_sheet, "Players", "B7:C7", [["Newcomer", "new@example.org"]])
    rules.kill_force(victim=Player.objects.get(game=running_game, name="Victim"), actor="gm:test")


def assert_converged(sheets_emulator, game_sheet, running_game):
    players = {p["name"]: p for p in rows(sheets_emulator, game_sheet, "Players")}
    assert sorted(players) == ["Bystander", "Hunter", "Killer", "Newcomer", "Victim"]
    assert Player.objects.filter(game=running_game).count() == 5
    assert players["Newcomer"]["id"] == str(Player.objects.get(name="Newcomer").pk)
    assert players["Victim"]["status"] == "eliminated"
    assert len(rows(sheets_emulator, game_sheet, "Kills")) == 1


def test_a_429_storm_ends_the_run_by_its_deadline(synced_sheet, sheets_emulator, running_game, settings):
    edit_both_sides(sheets_emulator, synced_sheet, running_game)
    sheets_emulator.faults(read_quota_per_minute=1)
    rows(sheets_emulator, synced_sheet, "Players")  # uses up the minute's reads

    started = time.monotonic()
    error = sync_fails()

    assert time.monotonic() - started < settings.SHEETS_RUN_SECONDS + settings.SHEETS_TIMEOUT
    assert "1 failed" in error and "HTTP 429" in error
    assert "\n" not in error
    status = GameSheet.objects.get(pk=synced_sheet.pk)
    assert "HTTP 429" in status.last_error
    assert Player.objects.filter(game=running_game).count() == 4  # the sheet was never read: nothing applied

    sheets_emulator.faults()
    sync()

    assert_converged(sheets_emulator, synced_sheet, running_game)
    assert GameSheet.objects.get(pk=synced_sheet.pk).last_error == ""


def test_a_google_answering_only_500s_fails_the_run_cleanly(synced_sheet, sheets_emulator, running_game):
    edit_both_sides(sheets_emulator, synced_sheet, running_game)
    sheets_emulator.faults(error_rate=1.0)

    error = sync_fails()

    assert "HTTP 50" in error
    sheets_emulator.faults()
    sync()
    assert_converged(sheets_emulator, synced_sheet, running_game)


def test_some_500s_are_retried_within_the_run(synced_sheet, sheets_emulator, running_game):
    edit_both_sides(sheets_emulator, synced_sheet, running_game)
    sheets_emulator.faults(error_rate=0.4, seed=3)

    output = sync()
    sheets_emulator.faults()

    assert "0 failed" in output
    assert "0 retries" not in output
    assert_converged(sheets_emulator, synced_sheet, running_game)


def test_latency_above_the_timeout_fails_the_run_by_its_deadline(
    synced_sheet, sheets_emulator, running_game, settings
):
    edit_both_sides(sheets_emulator, synced_sheet, running_game)
    sheets_emulator.faults(latency_ms=1500)  # SHEETS_TIMEOUT is 1 s

    started = time.monotonic()
    error = sync_fails()

    assert time.monotonic() - started < settings.SHEETS_RUN_SECONDS + settings.SHEETS_TIMEOUT
    assert "ReadTimeout" in error
    sheets_emulator.faults()
    sync()
    assert_converged(sheets_emulator, synced_sheet, running_game)


def test_dropped_connections_fail_the_run_cleanly(synced_sheet, sheets_emulator, running_game):
    edit_both_sides(sheets_emulator, synced_sheet, running_game)
    sheets_emulator.faults(drop_rate=1.0)

    error = sync_fails()

    assert "ConnectionError" in error
    sheets_emulator.faults()
    sync()
    assert_converged(sheets_emulator, synced_sheet, running_game)


def test_a_failed_write_after_the_database_changed_creates_no_duplicate(
    synced_sheet, sheets_emulator, running_game
):
    sheets_emulator.faults(write_quota_per_minute=1)
    edit_both_sides(
        sheets_emulator, synced_sheet, running_game
    )  # the game master's typing uses up the writes

    error = sync_fails()

    assert "HTTP 429" in error
    assert (
        Player.objects.filter(game=running_game, name="Newcomer").count() == 1
    )  # applied, id not written back
    sheets_emulator.faults()
    sync()
    sync()
    assert_converged(sheets_emulator, synced_sheet, running_game)
