"""manage.py export_game and import_game: a file out, a new game in, one summary line each."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from game import transfer
from game.models import Game


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_writes_the_game_to_a_file(running_game, tmp_path):
    out, _ = run("export_game", str(running_game.pk), "--output", str(tmp_path / "game.json"))

    document = json.loads((tmp_path / "game.json").read_text())
    assert document["game"]["name"] == "Spring game"
    assert len(document["players"]) == 4
    assert out.strip().count("\n") == 0
    assert out.startswith(f"export_game: game #{running_game.pk} 'Spring game' written to")


def test_export_to_standard_output_is_json_alone(running_game):
    out, err = run("export_game", str(running_game.pk))

    assert json.loads(out)["format"] == "killer-game"
    assert err.startswith("export_game: game #")


def test_export_of_a_game_that_does_not_exist_fails(db):
    with pytest.raises(CommandError, match="No game #999."):
        run("export_game", "999")


def test_import_makes_a_new_game_and_says_so_in_one_line(running_game, tmp_path):
    path = tmp_path / "spring.json"
    path.write_text(transfer.file_text(running_game))

    out, _ = run("import_game", str(path), "--name", "Moved")

    game = Game.objects.get(name="Moved")
    assert game.status == Game.Status.RUNNING
    assert game.events.get(kind=transfer.IMPORT_EVENT).data["source"] == "spring.json"
    assert out.strip().count("\n") == 0
    assert out.startswith(
        f"import_game: created game #{game.pk} 'Moved' (everything, Running) with 2 missions"
    )
    assert "4 players got new codes" in out


def test_import_of_the_setup_makes_a_draft(running_game, tmp_path):
    path = tmp_path / "spring.json"
    path.write_text(transfer.file_text(running_game))

    out, _ = run("import_game", str(path), "--setup")

    game = Game.objects.exclude(pk=running_game.pk).get()
    assert game.status == Game.Status.SETUP
    assert "(setup, Not started)" in out
    assert "new codes" not in out


def test_import_of_a_bad_file_fails_and_changes_nothing(running_game, tmp_path):
    path = tmp_path / "bad.json"
    document = transfer.export_game(running_game)
    document["players"][0]["target"] = 99
    path.write_text(json.dumps(document))

    with pytest.raises(
        CommandError, match="Player 1, target: 99 refers to nothing in the file. Nothing was imported."
    ):
        run("import_game", str(path))
    assert Game.objects.count() == 1


def test_import_of_a_missing_file_fails(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_game", str(tmp_path / "nowhere.json"))
