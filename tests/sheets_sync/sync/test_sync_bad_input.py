"""What game masters may type wrong: each bad row is a warning, changes nothing, and the run goes on."""

from django.utils import translation

from game.models import Event, Mission, Player
from sheets_sync.models import GameSheet
from tests.sheets_sync.sync.helpers import Calls, read, row_number, rows, sync, type_in


def warnings_of(game_sheet):
    return GameSheet.objects.get(pk=game_sheet.pk).warnings


def test_blank_rows_are_skipped_quietly(synced_sheet, sheets_emulator, running_game):
    type_in(sheets_emulator, synced_sheet, "Players", "B12:D12", [["Late", "", ""]])  # rows 6-11 blank

    sync()

    assert Player.objects.filter(game=running_game).count() == 5
    assert warnings_of(synced_sheet) == []


def test_a_duplicated_id_is_left_alone(synced_sheet, sheets_emulator, victim, running_game):
    type_in(sheets_emulator, synced_sheet, "Players", "A7:B7", [[victim.pk, "Copy of the victim"]])

    sync()

    victim.refresh_from_db()
    assert victim.name == "Victim"
    assert Player.objects.filter(game=running_game).count() == 4
    [warning] = warnings_of(synced_sheet)
    assert f"Players row 7: id {victim.pk} is already on row" in warning
    assert rows(sheets_emulator, synced_sheet, "Players")[-1]["name"] == "Copy of the victim"


def test_an_unknown_id_is_left_alone(synced_sheet, sheets_emulator, running_game):
    type_in(sheets_emulator, synced_sheet, "Players", "A7:B7", [[99999, "Ghost"]])
    type_in(sheets_emulator, synced_sheet, "Missions", "A9:B9", [["abc", "Nonsense"]])

    sync()

    assert not Player.objects.filter(name="Ghost").exists()
    assert not Mission.objects.filter(text="Nonsense").exists()
    assert warnings_of(synced_sheet) == [
        "Players row 7: this game has no id 99999; row left alone.",
        "Missions row 9: id 'abc' is not a number; row left alone.",
    ]


def test_text_too_long_for_the_database_is_refused(synced_sheet, sheets_emulator, victim, running_game):
    row = row_number(sheets_emulator, synced_sheet, "Players", victim.pk)
    type_in(sheets_emulator, synced_sheet, "Players", f"B{row}", [["V" * 5000]])
    type_in(sheets_emulator, synced_sheet, "Missions", "B9", [["M" * 3000]])

    sync()

    victim.refresh_from_db()
    assert victim.name == "Victim"
    assert running_game.missions.count() == 2
    warnings = warnings_of(synced_sheet)
    assert len(warnings) == 2
    assert "5000 characters" in warnings[0]
    # The cell keeps what the game master typed, so they can shorten it.
    assert rows(sheets_emulator, synced_sheet, "Players")[row - 2]["name"] == "V" * 5000


def test_a_formula_is_not_taken_for_a_name(synced_sheet, sheets_emulator, victim, running_game):
    row = row_number(sheets_emulator, synced_sheet, "Players", victim.pk)
    type_in(sheets_emulator, synced_sheet, "Players", f"B{row}", [["=1+1"]])
    type_in(sheets_emulator, synced_sheet, "Players", "B7", [['=HYPERLINK("http://evil")']])

    sync()

    victim.refresh_from_db()
    assert victim.name == "Victim"
    assert Player.objects.filter(game=running_game).count() == 4
    warnings = sorted(warnings_of(synced_sheet))
    assert [w.split(":")[0] for w in warnings] == ["Players row 3", "Players row 7"]
    assert "the name cell is a formula (=1+1)" in warnings[0]


def test_an_invalid_email_is_refused_and_the_other_edits_go_through(
    synced_sheet, sheets_emulator, running_game
):
    killer_row = row_number(sheets_emulator, synced_sheet, "Players", Player.objects.get(name="Killer").pk)
    victim_row = row_number(sheets_emulator, synced_sheet, "Players", Player.objects.get(name="Victim").pk)
    type_in(sheets_emulator, synced_sheet, "Players", f"C{killer_row}", [["not an email"]])
    type_in(sheets_emulator, synced_sheet, "Players", f"D{victim_row}", [["Team green"]])
    type_in(sheets_emulator, synced_sheet, "Players", "B7:C7", [["Newcomer", "nope@"]])

    sync()

    assert Player.objects.get(name="Killer").email == "killer@example.org"
    assert Player.objects.get(name="Victim").group == "Team green"
    assert not Player.objects.filter(name="Newcomer").exists()
    assert len(warnings_of(synced_sheet)) == 2
    assert Event.objects.filter(kind="player_updated").count() == 1


def test_a_renamed_header_gets_its_column_back(synced_sheet, sheets_emulator, victim):
    type_in(sheets_emulator, synced_sheet, "Players", "C1", [["E-mail"]])

    sync()

    header = read(sheets_emulator, synced_sheet, "Players")[0]
    assert header[2] == "E-mail"
    assert header[-1] == "email"
    assert rows(sheets_emulator, synced_sheet, "Players")[1]["email"] == "victim@example.org"
    [warning] = warnings_of(synced_sheet)
    assert "no 'email' column in row 1" in warning
    assert "rename it back to 'email'" in warning
    victim.refresh_from_db()
    assert victim.email == "victim@example.org"


def test_a_tab_without_its_id_column_is_left_alone(synced_sheet, sheets_emulator, running_game):
    type_in(sheets_emulator, synced_sheet, "Players", "A1", [["ident"]])
    type_in(sheets_emulator, synced_sheet, "Players", "B7", [["Newcomer"]])

    with Calls(sheets_emulator) as calls:
        sync()

    assert not Player.objects.filter(name="Newcomer").exists()
    assert warnings_of(synced_sheet) == ["Players: no 'id' column in row 1, so this tab was left alone."]
    assert calls.writes == 0


def test_a_deleted_row_is_added_back_with_a_warning(synced_sheet, sheets_emulator, victim, running_game):
    url = f"{sheets_emulator.url}/v4/spreadsheets/{synced_sheet.spreadsheet_key}"
    sheet_id = next(
        s["properties"]["sheetId"]
        for s in sheets_emulator.session.get(url, timeout=5).json()["sheets"]
        if s["properties"]["title"] == "Players"
    )
    row = row_number(sheets_emulator, synced_sheet, "Players", victim.pk)
    delete = {"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": row - 1}}}
    delete["deleteDimension"]["range"]["endIndex"] = row
    sheets_emulator.session.post(
        f"{url}:batchUpdate", json={"requests": [delete]}, timeout=5
    ).raise_for_status()

    sync()

    assert Player.objects.filter(game=running_game).count() == 4
    assert rows(sheets_emulator, synced_sheet, "Players")[-1]["name"] == "Victim"
    [warning] = warnings_of(synced_sheet)
    assert f"the row of id {victim.pk} was deleted in the sheet; added back" in warning


def test_a_name_that_looks_like_a_formula_is_written_as_text(synced_sheet, sheets_emulator, victim):
    Player.objects.filter(pk=victim.pk).update(name='=HYPERLINK("http://evil")')

    sync()
    with Calls(sheets_emulator) as calls:
        sync()

    url = f"{sheets_emulator.url}/v4/spreadsheets/{synced_sheet.spreadsheet_key}"
    params = {"includeGridData": "true", "ranges": "Players!B3"}
    grid = sheets_emulator.session.get(url, params=params, timeout=5).json()["sheets"][0]["data"][0]
    assert grid["rowData"][0]["values"][0]["userEnteredValue"] == {"stringValue": '=HYPERLINK("http://evil")'}
    assert (calls.writes, warnings_of(synced_sheet)) == (0, [])  # read back, it is no game master's formula


def test_a_date_typed_in_a_game_masters_column_comes_back_as_typed(synced_sheet, sheets_emulator, victim):
    # The sheet stores "3/4/2026" as a date (serial number 46085); the group is the text the game
    # master sees, not the number.
    row = row_number(sheets_emulator, synced_sheet, "Players", victim.pk)
    type_in(sheets_emulator, synced_sheet, "Players", f"D{row}", [["3/4/2026"]])

    sync()

    victim.refresh_from_db()
    assert victim.group == "3/4/2026"
    assert warnings_of(synced_sheet) == []
    sync()
    assert rows(sheets_emulator, synced_sheet, "Players")[row - 2]["group"] == "3/4/2026"


def test_warnings_read_in_one_language_the_sites(synced_sheet, sheets_emulator, victim):
    # A game master's dashboard and the sync's summary show the same warnings: in French by default,
    # the rules' own message included, not an English sentence around a French one.
    row = row_number(sheets_emulator, synced_sheet, "Players", victim.pk)
    type_in(sheets_emulator, synced_sheet, "Players", f"C{row}", [["not an email"]])
    type_in(sheets_emulator, synced_sheet, "Players", "A9:B9", [["abc", "Somebody"]])

    with translation.override("fr"):
        output = sync()

    warnings = sorted(warnings_of(synced_sheet))
    assert warnings == [
        f"Players ligne {row} : not an email n'est pas une adresse e-mail. Colonne email laissée inchangée.",
        "Players ligne 9 : l’id « abc » n’est pas un nombre ; ligne laissée telle quelle.",
    ]
    assert all(warning in output for warning in warnings)
