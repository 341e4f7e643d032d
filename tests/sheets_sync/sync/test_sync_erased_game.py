"""A game whose personal data was erased: its sheet is written over with the numbers, never read back."""

from game import rules
from game.models import Player
from tests.sheets_sync.sync.helpers import row_number, rows, sync, type_in

GM = "gm:test"


def finish_and_erase(game):
    rules.game_finish(game=game, actor=GM)
    sync()  # the finished game's sheet is up to date: the sync leaves it alone from now on
    rules.game_erase_personal_data(game=game, actor=GM)


def test_the_next_run_writes_the_numbers_over_the_names(synced_sheet, sheets_emulator, running_game, victim):
    rules.kill_force(victim=victim, actor=GM, reason="Seen by Mme Dupuis")
    sync()
    finish_and_erase(running_game)

    output = sync()

    players = rows(sheets_emulator, synced_sheet, "Players")
    assert [p["name"] for p in players] == ["Player 1", "Player 2", "Player 3", "Player 4"]
    assert {(p["email"], p["group"]) for p in players} == {("", "")}
    [kill] = rows(sheets_emulator, synced_sheet, "Kills")
    assert (kill["killer"], kill["victim"], kill["reason"]) == ("Player 1", "Player 2", "")
    assert "personal data has been erased" in output


def test_names_typed_in_the_sheet_never_come_back(synced_sheet, sheets_emulator, running_game, victim):
    rules.game_finish(game=running_game, actor=GM)
    sync()
    row = row_number(sheets_emulator, synced_sheet, "Players", victim.pk)
    # Typed before the erasure and not synced yet: the sync would take it for a game master's edit.
    type_in(
        sheets_emulator, synced_sheet, "Players", f"B{row}:D{row}", [["Vicky", "vicky@example.org", "B2"]]
    )
    rules.game_erase_personal_data(game=running_game, actor=GM)
    sync()
    type_in(sheets_emulator, synced_sheet, "Players", "B7:D7", [["Newcomer", "new@example.org", "A1"]])

    sync()

    victim.refresh_from_db()
    assert (victim.name, victim.email, victim.group) == ("Player 2", "", "")
    assert not Player.objects.filter(name__in=["Vicky", "Newcomer"]).exists()
    players = {p["id"]: p for p in rows(sheets_emulator, synced_sheet, "Players")}
    assert (players[str(victim.pk)]["name"], players[str(victim.pk)]["email"]) == ("Player 2", "")
