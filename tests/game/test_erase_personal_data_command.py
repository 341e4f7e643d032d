"""manage.py erase_personal_data: the games finished before a date, erased in one go."""

from datetime import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from game import rules
from game.models import Game
from tests.conftest import build_cast, fresh

pytestmark = pytest.mark.django_db


def finished_on(day, *, erased=False):
    game = build_cast().game
    rules.game_finish(game=game, actor="gm:gm")
    Game.objects.filter(pk=game.pk).update(finished_at=timezone.make_aware(datetime.fromisoformat(day)))
    if erased:
        rules.game_erase_personal_data(game=game, actor="gm:gm")
    return fresh(game)


def erase(*args):
    out = []
    call_command("erase_personal_data", *args, stdout=type("Out", (), {"write": out.append, "flush": id})())
    return "".join(out)


def names(game):
    return sorted(game.players.values_list("name", flat=True))


def test_it_erases_the_games_finished_before_the_date_and_no_other():
    june = finished_on("2026-06-30 23:59")
    july = finished_on("2026-07-01 00:00")
    running = build_cast().game
    erased_before = finished_on("2026-05-01 12:00", erased=True)
    version = erased_before.version

    output = erase("--finished-before", "2026-07-01")

    assert output == "erase_personal_data: 1 game(s) finished before 2026-07-01 erased (4 players)\n"
    assert names(june) == ["Player 1", "Player 2", "Player 3", "Player 4"]
    assert names(july) == names(running) == ["Bystander", "Hunter", "Killer", "Victim"]
    assert fresh(erased_before).version == version
    assert fresh(june).events.filter(actor="command:erase_personal_data").exists()


def test_a_dry_run_counts_and_erases_nothing():
    june = finished_on("2026-06-30 12:00")
    version = june.version

    output = erase("--finished-before", "2026-07-01", "--dry-run")

    assert output == (
        "erase_personal_data --dry-run: 1 game(s) finished before 2026-07-01 would be erased (4 players)\n"
    )
    assert fresh(june).personal_data_erased_at is None
    assert fresh(june).version == version
    assert names(june) == ["Bystander", "Hunter", "Killer", "Victim"]


@pytest.mark.parametrize("args", [[], ["--finished-before", "1 July"], ["--finished-before", "2026-13-01"]])
def test_it_refuses_a_missing_or_wrong_date(args):
    june = finished_on("2026-06-30 12:00")

    with pytest.raises(CommandError, match="finished-before"):
        erase(*args)

    assert fresh(june).personal_data_erased_at is None
