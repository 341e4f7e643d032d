"""seed_demo --spreadsheet links the demo game to a sheet, ready for sync_sheets."""

from io import StringIO

import pytest
from django.core.management import call_command

from sheets_sync.models import GameSheet


@pytest.mark.django_db
def test_seed_demo_links_the_game_to_its_spreadsheet():
    call_command("seed_demo", "--players", "4", "--spreadsheet", "demo-key", stdout=StringIO())

    sheet = GameSheet.objects.get()
    assert (sheet.game.players.count(), sheet.spreadsheet_key) == (4, "demo-key")


@pytest.mark.django_db
def test_seed_demo_without_a_spreadsheet_links_nothing():
    call_command("seed_demo", "--players", "4", stdout=StringIO())

    assert not GameSheet.objects.exists()
