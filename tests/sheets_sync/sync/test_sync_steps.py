"""The sync's steps called one by one, as the command calls them: what each reads, writes and costs."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from game.models import Event, Player
from sheets_sync import sync
from sheets_sync.client import sheets_client
from tests.sheets_sync.sync.helpers import Calls, type_in


def read_and_plan(game_sheet):
    client = sheets_client()
    sheet = sync.read_sheet(client, game_sheet.spreadsheet_key, game_sheet.tabs)
    return client, sheet, sync.plan_changes(game_sheet.game, sheet, game_sheet.synced)


def test_planning_and_listing_the_cells_write_nothing(synced_sheet, sheets_emulator, running_game):
    type_in(sheets_emulator, synced_sheet, "Players", "B7", [["Newcomer"]])
    Player.objects.filter(name="Hunter").update(group="Team red")

    with Calls(sheets_emulator) as calls, CaptureQueriesContext(connection) as queries:
        _, sheet, plan = read_and_plan(synced_sheet)
        updates = sync.sheet_updates(running_game, sheet, plan)

    assert [fields["name"] for _, fields in plan.joins] == ["Newcomer"]
    assert [cell for cell in updates.cells["Players"].values()] == ["Team red"]
    assert (calls.reads, calls.writes) == (1, 0)
    assert not [q for q in queries.captured_queries if not q["sql"].upper().startswith("SELECT")]
    assert list(Event.objects.values_list("kind", flat=True)) == ["game_started"]  # the cast's start


def test_the_steps_cost_the_same_queries_for_four_players_or_two_hundred(
    synced_sheet, sheets_emulator, running_game
):
    def queries_of_a_run():
        _, sheet, plan = read_and_plan(synced_sheet)
        with CaptureQueriesContext(connection) as queries:
            plan = sync.plan_changes(running_game, sheet, synced_sheet.synced)
            sync.sheet_updates(running_game, sheet, plan)
        return len(queries.captured_queries)

    four = queries_of_a_run()
    Player.objects.bulk_create(Player(game=running_game, name=f"Player {i:03}") for i in range(196))

    assert queries_of_a_run() == four
