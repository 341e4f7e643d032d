"""The GameSheet admin: a game master links a game to a sheet and reads how the last sync went."""

import pytest
from django.db import IntegrityError, transaction

from game.models import Game
from sheets_sync.models import GameSheet


def test_a_game_master_links_a_game_to_a_sheet(gm_client):
    game = Game.objects.create(name="Spring game")

    response = gm_client.post(
        "/admin/sheets_sync/gamesheet/add/", {"game": game.pk, "spreadsheet_key": "key"}
    )

    assert response.status_code == 302
    assert GameSheet.objects.get(game=game).spreadsheet_key == "key"


def test_the_key_field_shows_where_the_key_is_in_the_sheets_address(gm_client):
    response = gm_client.get("/admin/sheets_sync/gamesheet/add/")

    assert b"docs.google.com/spreadsheets/d/KEY/edit" in response.content


def test_login_codes_stay_out_of_the_sheet_unless_the_game_master_opts_in(gm_client):
    game = Game.objects.create(name="Spring game")

    gm_client.post("/admin/sheets_sync/gamesheet/add/", {"game": game.pk, "spreadsheet_key": "key"})

    assert GameSheet.objects.get(game=game).publish_login_codes is False
    response = gm_client.get(f"/admin/sheets_sync/gamesheet/{game.sheet.pk}/change/")
    assert b"mail merge" in response.content


def test_the_list_shows_the_last_error(gm_client):
    game = Game.objects.create(name="Spring game")
    GameSheet.objects.create(game=game, spreadsheet_key="key", last_error="GET … answered 403: no access")

    response = gm_client.get("/admin/sheets_sync/gamesheet/")

    assert b"answered 403: no access" in response.content


def test_a_sheet_serves_one_game_only(db):
    GameSheet.objects.create(game=Game.objects.create(name="Spring game"), spreadsheet_key="key")
    GameSheet.objects.create(game=Game.objects.create(name="Draft"), spreadsheet_key="")
    GameSheet.objects.create(game=Game.objects.create(name="Other draft"), spreadsheet_key="")

    with pytest.raises(IntegrityError), transaction.atomic():
        GameSheet.objects.create(game=Game.objects.create(name="Autumn game"), spreadsheet_key="key")
