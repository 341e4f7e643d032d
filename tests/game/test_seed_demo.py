import csv

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from game import rules
from game.models import Game

pytestmark = pytest.mark.django_db


def test_it_creates_a_started_game_and_writes_the_codes(tmp_path):
    codes_file = tmp_path / "codes.csv"
    call_command("seed_demo", players=30, start=True, codes_file=codes_file, stdout=None)
    game = Game.objects.get()
    assert game.status == Game.Status.RUNNING
    assert game.players.count() == 30
    assert rules.chain_problems(game) == []
    rows = list(csv.DictReader(codes_file.open()))
    assert len(rows) == 30
    assert {row["login_code"] for row in rows} == set(game.players.values_list("login_code", flat=True))


def test_if_empty_leaves_an_existing_database_alone():
    call_command("seed_demo", players=5)
    call_command("seed_demo", players=5, if_empty=True)
    assert Game.objects.count() == 1


def test_it_creates_the_game_master_account_once():
    call_command("seed_demo", players=3, game_master="gm")
    call_command("seed_demo", players=3, game_master="gm", if_empty=True)
    user = get_user_model().objects.get(username="gm")
    assert user.is_staff and user.check_password("killer-demo")


def test_it_refuses_a_game_of_one():
    with pytest.raises(CommandError):
        call_command("seed_demo", players=1)
