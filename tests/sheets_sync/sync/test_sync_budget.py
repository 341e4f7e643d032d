"""Calls per game and run: 1 read (2 when the tabs changed), at most 1 write whatever the roster's size."""

from game import rules
from game.models import Player
from sheets_sync.models import GameSheet
from tests.sheets_sync.sync.helpers import Calls, row_number, rows, sync, type_in


def test_a_thousand_players_take_at_most_three_calls_per_run(
    game_sheet, sheets_emulator, running_game, settings
):
    settings.SHEETS_TIMEOUT = 10  # the stand-in takes its time over a few thousand cells
    settings.SHEETS_RUN_SECONDS = 30
    Player.objects.bulk_create(Player(game=running_game, name=f"Player {i:04}") for i in range(996))

    runs = []
    for _ in range(3):
        with Calls(sheets_emulator) as calls:
            sync()
        runs.append((calls.reads, calls.writes))

    # Add the tabs; read their ids and fill them; then only the cells are read, and nothing is left to do.
    assert runs == [(1, 1), (2, 1), (1, 0)]
    assert len(rows(sheets_emulator, game_sheet, "Players")) == 1000


def test_nothing_changed_means_no_write(synced_sheet, sheets_emulator):
    with Calls(sheets_emulator) as calls:
        output = sync()

    assert (calls.reads, calls.writes) == (1, 0)
    assert "0 rows created, 0 updated" in output


def test_one_change_writes_only_its_cells(synced_sheet, sheets_emulator, running_game):
    Player.objects.filter(game=running_game, name="Hunter").update(group="Team red")

    with Calls(sheets_emulator) as calls:
        output = sync()

    assert (calls.reads, calls.writes) == (1, 1)
    assert "0 rows created, 1 updated" in output
    assert sheets_emulator.stats()["by_kind"]["values.batchUpdate"] >= 1


def test_a_tab_too_small_for_the_roster_is_grown_first(game_sheet, sheets_emulator, running_game, settings):
    settings.SHEETS_TIMEOUT = 10  # the stand-in takes its time over a few thousand cells
    settings.SHEETS_RUN_SECONDS = 30
    url = f"{sheets_emulator.url}/v4/spreadsheets/{game_sheet.spreadsheet_key}:batchUpdate"
    add_tabs = [{"addSheet": {"properties": {"title": title}}} for title in ("Players", "Missions", "Kills")]
    sheets_emulator.session.post(url, json={"requests": add_tabs}, timeout=5).raise_for_status()  # 1000 rows
    Player.objects.bulk_create(Player(game=running_game, name=f"Player {i:04}") for i in range(1200))

    with Calls(sheets_emulator) as layout:
        sync()
    with Calls(sheets_emulator) as cells:
        sync()

    assert (layout.reads, layout.writes) == (2, 1)  # the tabs' ids and cells read, Players grown
    assert (cells.reads, cells.writes) == (1, 1)
    assert len(rows(sheets_emulator, game_sheet, "Players")) == 1204


def test_a_renamed_tab_is_left_alone_until_renamed_back(synced_sheet, sheets_emulator, killer):
    rename_tab(sheets_emulator, synced_sheet, "Players", "Joueurs")
    rules.player_update(player=killer, actor="gm", name="Killer, renamed")

    runs = []
    for _ in range(2):
        with Calls(sheets_emulator) as calls:
            sync()
        runs.append((calls.reads, calls.writes))

    # The cells read fails (400: no Players tab), the tabs are read, then the other tabs' cells; the
    # next run finds neither the game nor the sheet changed since, and calls nothing.
    assert runs == [(3, 0), (0, 0)]
    titles = [s["properties"]["title"] for s in spreadsheet(sheets_emulator, synced_sheet)["sheets"]]
    assert "Players" not in titles  # no fresh copy beside the renamed tab
    assert GameSheet.objects.get(pk=synced_sheet.pk).warnings == [
        "The tab 'Players' was renamed 'Joueurs': rename it back to 'Players'; until then the sync "
        "leaves it alone."
    ]

    rename_tab(sheets_emulator, synced_sheet, "Joueurs", "Players")
    with Calls(sheets_emulator) as calls:
        sync()

    assert (calls.reads, calls.writes) == (1, 1)
    assert "Killer, renamed" in [row["name"] for row in rows(sheets_emulator, synced_sheet, "Players")]
    assert GameSheet.objects.get(pk=synced_sheet.pk).warnings == []


def test_a_deleted_tab_is_added_back_with_one_warning(synced_sheet, sheets_emulator, running_game):
    url = f"{sheets_emulator.url}/v4/spreadsheets/{synced_sheet.spreadsheet_key}"
    delete = {"deleteSheet": {"sheetId": synced_sheet.tabs["Players"]}}
    sheets_emulator.session.post(
        f"{url}:batchUpdate", json={"requests": [delete]}, timeout=5
    ).raise_for_status()

    sync()

    assert GameSheet.objects.get(pk=synced_sheet.pk).warnings == [
        "The tab 'Players' was deleted: the sync adds it back, with every row, on its next run.",
        "1 tab added or grown; its cells follow on the next run.",
    ]
    sync()

    assert len(rows(sheets_emulator, synced_sheet, "Players")) == running_game.players.count()
    assert GameSheet.objects.get(pk=synced_sheet.pk).warnings == []


def spreadsheet(sheets_emulator, game_sheet):
    url = f"{sheets_emulator.url}/v4/spreadsheets/{game_sheet.spreadsheet_key}"
    return sheets_emulator.session.get(url, timeout=5).json()


def rename_tab(sheets_emulator, game_sheet, title, new_title):
    sheet_id = next(
        s["properties"]["sheetId"]
        for s in spreadsheet(sheets_emulator, game_sheet)["sheets"]
        if s["properties"]["title"] == title
    )
    rename = {
        "updateSheetProperties": {"properties": {"sheetId": sheet_id, "title": new_title}, "fields": "title"}
    }
    url = f"{sheets_emulator.url}/v4/spreadsheets/{game_sheet.spreadsheet_key}"
    sheets_emulator.session.post(
        f"{url}:batchUpdate", json={"requests": [rename]}, timeout=5
    ).raise_for_status()


def test_a_finished_game_is_left_alone_once_its_sheet_is_up_to_date(
    synced_sheet, sheets_emulator, running_game
):
    rules.game_finish(game=running_game, actor="gm")

    with Calls(sheets_emulator) as last:
        sync()
    with Calls(sheets_emulator) as after:
        output = sync()

    assert (last.reads, last.writes) == (1, 1)  # the players' final status
    assert (after.reads, after.writes) == (0, 0)
    assert "0 game(s) synced" in output and "1 finished and up to date" in output


def test_a_change_to_a_finished_game_reaches_its_sheet(synced_sheet, sheets_emulator, running_game, killer):
    rules.game_finish(game=running_game, actor="gm")
    sync()

    rules.player_update(player=killer, actor="gm", name="Killer, renamed")
    sync()

    assert "Killer, renamed" in [row["name"] for row in rows(sheets_emulator, synced_sheet, "Players")]


def test_a_finished_game_named_on_the_command_line_is_synced(
    synced_sheet, sheets_emulator, running_game, killer
):
    rules.game_finish(game=running_game, actor="gm")
    sync()
    type_in(
        sheets_emulator,
        synced_sheet,
        "Players",
        f"C{row_number(sheets_emulator, synced_sheet, 'Players', killer.pk)}",
        [["late@example.org"]],
    )

    with Calls(sheets_emulator) as calls:
        sync("--game", str(running_game.pk))

    assert calls.reads == 1
    killer.refresh_from_db()
    assert killer.email == "late@example.org"


def test_a_game_finished_before_its_first_sync_is_synced(game_sheet, sheets_emulator, running_game):
    rules.game_finish(game=running_game, actor="gm")

    sync()
    sync()

    assert len(rows(sheets_emulator, game_sheet, "Players")) == 4
