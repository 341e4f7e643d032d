"""The sync tests' sheet: the cast's running game (tests/conftest.py) linked to a spreadsheet on the
stand-in, and the settings that point the sync at it.

Every test talks to the `sheets_emulator` fixture (tests/sheets_sync/conftest.py) through real gspread.
"""

import json

import pytest

from sheets_sync.models import GameSheet
from tests.sheets_sync.sync.helpers import sync


@pytest.fixture
def sheets_settings(settings, sheets_emulator, tmp_path):
    """Point the sync at the stand-in, with a service account whose token_uri is the stand-in's."""
    credentials = tmp_path / "service-account.json"
    credentials.write_text(json.dumps(sheets_emulator.service_account_info()))
    settings.SHEETS_API_URL = sheets_emulator.url
    settings.SHEETS_CREDENTIALS_FILE = str(credentials)
    settings.SHEETS_TIMEOUT = 1
    settings.SHEETS_RUN_SECONDS = 3
    return settings


@pytest.fixture
def game_sheet(running_game, sheets_emulator, sheets_settings):
    """The game linked to a new, empty spreadsheet on the stand-in."""
    key = sheets_emulator.create_spreadsheet("Spring game")
    return GameSheet.objects.create(game=running_game, spreadsheet_key=key)


@pytest.fixture
def synced_sheet(game_sheet, sheets_emulator):
    """The sheet after its first two runs: the tabs added, then filled."""
    sync()
    sync()
    game_sheet.refresh_from_db()
    return game_sheet
