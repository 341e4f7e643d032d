"""The sync both ways on a healthy Google: the sheet follows the database, game masters' edits come back."""

from game import rules
from game.models import Event, Mission, Player
from sheets_sync.models import GameSheet
from tests.sheets_sync.sync.helpers import Calls, row_number, rows, sync, type_in


def test_the_first_run_adds_the_tabs_and_the_second_fills_them(game_sheet, sheets_emulator):
    with Calls(sheets_emulator) as first:
        sync()
    with Calls(sheets_emulator) as second:
        sync()

    assert (first.reads, first.writes) == (1, 1)
    assert (second.reads, second.writes) == (2, 1)
    players = rows(sheets_emulator, game_sheet, "Players")
    assert [p["name"] for p in players] == ["Killer", "Victim", "Bystander", "Hunter"]
    assert players[0]["target"] == "Victim"
    assert players[0]["status"] == "alive"
    assert players[0]["email"] == "killer@example.org"
    assert [m["text"] for m in rows(sheets_emulator, game_sheet, "Missions")] == [
        "Make them say banana",
        "Get a high five",
    ]
    assert rows(sheets_emulator, game_sheet, "Kills") == []


def test_a_kill_reaches_the_sheet(synced_sheet, sheets_emulator, killer, victim):
    rules.kill_force(victim=victim, actor="gm:test")

    output = sync()

    players = {p["name"]: p for p in rows(sheets_emulator, synced_sheet, "Players")}
    assert players["Victim"]["status"] == "eliminated"
    assert players["Victim"]["killed_by"] == "Killer"
    assert players["Killer"]["kills"] == "1"
    assert players["Killer"]["target"] == "Bystander"
    [kill] = rows(sheets_emulator, synced_sheet, "Kills")
    assert (kill["killer"], kill["victim"], kill["status"]) == ("Killer", "Victim", "confirmed")
    assert "1 rows created" in output


def test_it_reads_back_a_renamed_player_with_an_event(synced_sheet, sheets_emulator, victim):
    row = row_number(sheets_emulator, synced_sheet, "Players", victim.pk)
    type_in(
        sheets_emulator, synced_sheet, "Players", f"B{row}:D{row}", [["Vicky", "vicky@example.org", "B2"]]
    )

    sync()

    victim.refresh_from_db()
    assert (victim.name, victim.email, victim.group) == ("Vicky", "vicky@example.org", "B2")
    event = Event.objects.get(kind="player_updated")
    assert event.actor == "sync"
    assert event.data["changes"]["name"] == ["Victim", "Vicky"]


def test_a_new_row_becomes_a_player_and_gets_its_id(synced_sheet, sheets_emulator, running_game):
    type_in(sheets_emulator, synced_sheet, "Players", "B7:D7", [["Newcomer", "new@example.org", "A1"]])

    output = sync()

    newcomer = Player.objects.get(game=running_game, name="Newcomer")
    assert newcomer.alive and newcomer.target is not None  # into the running game's cycle
    row = rows(sheets_emulator, synced_sheet, "Players")[-1]
    assert row["id"] == str(newcomer.pk)
    assert row["code"] == ""  # login codes are not published unless the game says so
    assert Event.objects.filter(kind="player_joined", actor="sync", player=newcomer).exists()
    assert "1 changes from the sheet" in output


def test_login_codes_are_written_only_while_the_game_publishes_them(synced_sheet, sheets_emulator, victim):
    assert {row["code"] for row in rows(sheets_emulator, synced_sheet, "Players")} == {""}
    GameSheet.objects.filter(pk=synced_sheet.pk).update(publish_login_codes=True)

    sync()

    row = rows(sheets_emulator, synced_sheet, "Players")[1]
    assert (row["id"], row["code"].replace("-", "")) == (str(victim.pk), victim.login_code)
    GameSheet.objects.filter(pk=synced_sheet.pk).update(publish_login_codes=False)

    sync()

    assert {row["code"] for row in rows(sheets_emulator, synced_sheet, "Players")} == {""}


def test_game_masters_add_and_reword_missions(synced_sheet, sheets_emulator, running_game):
    banana = Mission.objects.get(text="Make them say banana")
    row = row_number(sheets_emulator, synced_sheet, "Missions", banana.pk)
    type_in(sheets_emulator, synced_sheet, "Missions", f"B{row}", [["Say 'banana' twice"]])
    type_in(sheets_emulator, synced_sheet, "Missions", "B10", [["Borrow their pen"]])

    sync()

    banana.refresh_from_db()
    assert banana.text == "Say 'banana' twice"
    pen = Mission.objects.get(game=running_game, text="Borrow their pen")
    assert pen.active
    assert rows(sheets_emulator, synced_sheet, "Missions")[-1]["id"] == str(pen.pk)


def test_a_database_change_wins_over_a_cell_nobody_edited(synced_sheet, sheets_emulator, victim):
    rules.player_update(player=victim, actor="gm:test", name="Victoria")

    sync()

    assert [p["name"] for p in rows(sheets_emulator, synced_sheet, "Players")][1] == "Victoria"
    victim.refresh_from_db()
    assert victim.name == "Victoria"


def test_rows_are_found_by_id_after_game_masters_sort_them(synced_sheet, sheets_emulator, victim):
    values = [[cell for cell in row] for row in _raw(sheets_emulator, synced_sheet)]
    header, body = values[0], values[1:]
    type_in(sheets_emulator, synced_sheet, "Players", "A2", list(reversed(body)))
    row = row_number(sheets_emulator, synced_sheet, "Players", victim.pk)
    type_in(sheets_emulator, synced_sheet, "Players", f"D{row}", [["Team blue"]])

    with Calls(sheets_emulator) as calls:
        sync()

    victim.refresh_from_db()
    assert victim.group == "Team blue"
    assert Player.objects.filter(group="Team blue").count() == 1
    assert (calls.reads, calls.writes) == (1, 0)
    assert header[0] == "id"


def test_it_records_how_the_run_went(synced_sheet):
    sync()

    status = GameSheet.objects.get(pk=synced_sheet.pk)
    assert status.last_success_at is not None
    assert status.last_error == ""
    assert status.calls == 1
    assert status.last_duration is not None


def _raw(sheets_emulator, game_sheet):
    from tests.sheets_sync.sync.helpers import read

    return read(sheets_emulator, game_sheet, "Players", render="FORMULA")
