"""Google's quota, spent deliberately: sheets nobody changed are not read, and many games sync without
a single 429 when the stand-in holds Google's per-minute quota."""

import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection

from game import rules
from game.models import Game
from sheets_sync import budget
from sheets_sync.emulator import faults
from sheets_sync.management.commands import sync_sheets
from sheets_sync.models import GameSheet
from tests.sheets_sync.sync.helpers import Calls, row_number, sync, type_in


def test_a_game_and_sheet_that_did_not_change_cost_no_sheets_call(synced_sheet, sheets_emulator, victim):
    sync()  # reads the sheet once more: the last run's own write changed it

    with Calls(sheets_emulator) as calls:
        output = sync()

    assert (calls.reads, calls.writes, calls.drive) == (0, 0, 1)
    assert "1 unchanged" in output


def test_a_sheet_a_game_master_edited_is_read_again(synced_sheet, sheets_emulator, victim):
    sync()
    row = row_number(sheets_emulator, synced_sheet, "Players", victim.pk)
    type_in(sheets_emulator, synced_sheet, "Players", f"D{row}", [["Team blue"]])

    with Calls(sheets_emulator) as calls:
        sync()

    victim.refresh_from_db()
    assert victim.group == "Team blue"
    assert calls.reads == 1


def test_a_change_in_the_game_is_written_without_waiting_for_the_sheet(synced_sheet, sheets_emulator, killer):
    sync()
    sync()
    rules.player_update(player=killer, actor="gm", name="Killer, renamed")

    with Calls(sheets_emulator) as calls:
        sync()

    assert (calls.reads, calls.writes) == (1, 1)


def test_every_sheet_is_read_when_drive_does_not_answer(synced_sheet, sheets_emulator, monkeypatch):
    sync()

    def drive_down(*args, **kwargs):
        raise budget_error()

    monkeypatch.setattr("gspread.Client.list_spreadsheet_files", drive_down)
    with Calls(sheets_emulator) as calls:
        output = sync()

    assert calls.reads == 1
    assert "1 game(s) synced" in output


def budget_error():
    from sheets_sync.client import SheetsError

    return SheetsError("GET …/drive/v3/files answered 403: Drive API has not been used in project")


def test_a_window_gives_a_seventh_of_the_minutes_quota(db, settings):
    settings.SHEETS_READS_PER_MINUTE = 60
    taken = 0
    with pytest.raises(budget.Spent) as spent:
        for _ in range(100):
            budget.take("read")
            taken += 1

    # Any 60 seconds meet at most 7 windows of 10 s: 7 x 8 = 56, within Google's 60.
    assert taken <= 8
    assert 0 < spent.value.wait <= budget.WINDOW_SECONDS


@pytest.mark.django_db(transaction=True)
def test_many_games_sync_within_googles_quota_without_a_429(
    sheets_emulator, sheets_settings, settings, monkeypatch
):
    # Google's arithmetic ten times faster: the stand-in's quota of 60 a minute counted over 6 s, the
    # budget's windows 1 s long.
    monkeypatch.setattr(faults, "QUOTA_WINDOW_SECONDS", 6)
    monkeypatch.setattr(budget, "WINDOW_SECONDS", 1)
    settings.SHEETS_READS_PER_MINUTE = settings.SHEETS_WRITES_PER_MINUTE = 60
    settings.SHEETS_TIMEOUT, settings.SHEETS_RUN_SECONDS = 5, 8  # room for a busy machine
    sheets_emulator.faults(read_quota_per_minute=60, write_quota_per_minute=60)
    for number in range(20):
        game = Game.objects.create(name=f"Game {number}")
        GameSheet.objects.create(game=game, spreadsheet_key=sheets_emulator.create_spreadsheet(game.name))

    outputs = []
    while len(outputs) < 40 and not all_synced():
        outputs.append(sync())

    assert all_synced(), outputs
    assert "429" not in sheets_emulator.stats()["by_status"]
    assert all(" 0 failed" in output for output in outputs), outputs
    assert any("deferred to the next run" in output for output in outputs)


@pytest.mark.django_db(transaction=True)
def test_a_loop_with_games_waiting_for_the_quota_goes_on_at_the_next_window(
    sheets_emulator, sheets_settings, settings, monkeypatch
):
    monkeypatch.setattr(faults, "QUOTA_WINDOW_SECONDS", 6)
    monkeypatch.setattr(budget, "WINDOW_SECONDS", 1)
    settings.SHEETS_READS_PER_MINUTE = settings.SHEETS_WRITES_PER_MINUTE = 60
    settings.SHEETS_TIMEOUT = 5  # a call timed out on a busy machine would fail the run: no deferral
    sheets_emulator.faults(read_quota_per_minute=60, write_quota_per_minute=60)
    for number in range(20):
        game = Game.objects.create(name=f"Game {number}")
        GameSheet.objects.create(game=game, spreadsheet_key=sheets_emulator.create_spreadsheet(game.name))
    command = sync_sheets.Command()
    output = Output()

    def loop():
        call_command(command, "--loop", "--interval", "600", stdout=output, stderr=output)
        connection.close()

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        # A run that leaves games for the quota is followed by the next within a window, not after
        # the 600 s interval: every sheet is made and filled within the bound (10 s on a quiet machine).
        deadline = time.monotonic() + 300
        while not all_synced():
            assert time.monotonic() < deadline, output.text
            time.sleep(0.2)
    finally:
        command.stopping.set()
        thread.join(timeout=60)
    assert "429" not in sheets_emulator.stats()["by_status"]


class Output:
    text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def all_synced():
    return all(
        sheet.last_error == "" and sheet.synced_version == sheet.game.version
        for sheet in GameSheet.objects.select_related("game")
    )


@pytest.mark.django_db(transaction=True)
def test_games_a_run_has_no_time_left_for_wait_for_the_next_run_without_failing(
    sheets_emulator, sheets_settings, monkeypatch
):
    for number in range(3):
        game = Game.objects.create(name=f"Game {number}")
        GameSheet.objects.create(game=game, spreadsheet_key=sheets_emulator.create_spreadsheet(game.name))
    sync_game = sync_sheets.Command.sync_game

    def slow_sync_game(command, game_sheet, seconds):
        outcome = sync_game(command, game_sheet, seconds)
        command.deadline = time.monotonic()  # this game took the whole run
        return outcome

    monkeypatch.setattr(sync_sheets.Command, "sync_game", slow_sync_game)

    output = sync()  # exit 0: raises otherwise

    assert "1 game(s) synced, 0 failed" in output and "2 deferred to the next run" in output
    assert GameSheet.objects.filter(last_run_at=None).count() == 2  # first in the next run's line
