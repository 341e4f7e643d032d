"""Calls per game and run: 2 reads and at most 1 write whatever the roster's size, none when idle."""

from game.models import Player
from tests.sheets_sync.sync.helpers import Calls, rows, sync


def test_a_thousand_players_take_at_most_three_calls_per_run(game_sheet, sheets_emulator, game, settings):
    settings.SHEETS_TIMEOUT = 10  # the stand-in takes its time over a few thousand cells
    settings.SHEETS_RUN_SECONDS = 30
    Player.objects.bulk_create(Player(game=game, name=f"Player {i:04}") for i in range(996))

    runs = []
    for _ in range(3):
        with Calls(sheets_emulator) as calls:
            sync()
        runs.append((calls.reads, calls.writes))

    assert runs == [(1, 1), (2, 1), (2, 0)]  # add the tabs, fill them, nothing left to do
    assert len(rows(sheets_emulator, game_sheet, "Players")) == 1000


def test_nothing_changed_means_no_write(synced_sheet, sheets_emulator):
    with Calls(sheets_emulator) as calls:
        output = sync()

    assert (calls.reads, calls.writes) == (2, 0)
    assert "0 rows created, 0 updated" in output


def test_one_change_writes_only_its_cells(synced_sheet, sheets_emulator, game):
    Player.objects.filter(game=game, name="Hunter").update(group="Team red")

    with Calls(sheets_emulator) as calls:
        output = sync()

    assert (calls.reads, calls.writes) == (2, 1)
    assert "0 rows created, 1 updated" in output
    assert sheets_emulator.stats()["by_kind"]["values.batchUpdate"] >= 1


def test_a_tab_too_small_for_the_roster_is_grown_first(game_sheet, sheets_emulator, game, settings):
    settings.SHEETS_TIMEOUT = 10  # the stand-in takes its time over a few thousand cells
    settings.SHEETS_RUN_SECONDS = 30
    url = f"{sheets_emulator.url}/v4/spreadsheets/{game_sheet.spreadsheet_key}:batchUpdate"
    add_players_tab = {"requests": [{"addSheet": {"properties": {"title": "Players"}}}]}  # 1000 rows
    sheets_emulator.session.post(url, json=add_players_tab, timeout=5).raise_for_status()
    Player.objects.bulk_create(Player(game=game, name=f"Player {i:04}") for i in range(1200))

    with Calls(sheets_emulator) as layout:
        sync()
    with Calls(sheets_emulator) as cells:
        sync()

    assert (layout.reads, layout.writes) == (2, 1)  # the Players tab read, then grown (and the others added)
    assert (cells.reads, cells.writes) == (2, 1)
    assert len(rows(sheets_emulator, game_sheet, "Players")) == 1204
