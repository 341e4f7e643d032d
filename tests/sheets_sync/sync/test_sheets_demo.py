import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from game.models import Game
from sheets_sync.models import GameSheet
from tests.sheets_sync.sync.helpers import sync


@pytest.fixture
def demo_settings(settings, sheets_emulator, tmp_path):
    settings.SHEETS_API_URL = sheets_emulator.url
    settings.SHEETS_CREDENTIALS_FILE = str(tmp_path / "var" / "credentials.json")
    return settings


def test_it_links_the_demo_game_to_a_new_spreadsheet_that_then_syncs(db, demo_settings, sheets_emulator):
    call_command("seed_demo", players=6, start=True)
    call_command("sheets_demo")

    key_file = json.loads(Path(demo_settings.SHEETS_CREDENTIALS_FILE).read_text())
    assert key_file["token_uri"] == f"{sheets_emulator.url}/token"
    game_sheet = GameSheet.objects.get(game=Game.objects.get())
    assert game_sheet.spreadsheet_key
    sync()
    sync()
    game_sheet.refresh_from_db()
    assert game_sheet.last_error == ""
    assert game_sheet.last_success_at is not None


def test_the_demo_game_has_no_sheet_until_sheets_demo_links_it(db, demo_settings):
    call_command("seed_demo", "--players", "4", stdout=StringIO())
    assert not GameSheet.objects.exists()

    call_command("sheets_demo", stdout=StringIO())

    sheet = GameSheet.objects.get()
    assert sheet.game.players.count() == 4
    assert sheet.spreadsheet_key


def test_it_leaves_games_that_have_a_sheet_alone(db, demo_settings):
    call_command("seed_demo", players=3)
    call_command("sheets_demo")
    call_command("sheets_demo")
    assert GameSheet.objects.count() == 1


def test_it_refuses_to_touch_google(db, settings):
    settings.SHEETS_API_URL = "https://sheets.googleapis.com"
    with pytest.raises(CommandError, match="stand-in"):
        call_command("sheets_demo")
