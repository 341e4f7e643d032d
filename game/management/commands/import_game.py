"""Make a new game of a JSON file written by export_game or the admin's Export (JSON) (game/transfer.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from game import transfer
from game.errors import RuleError

ACTOR = "command:import_game"


class Command(BaseCommand):
    help = (
        "Make a new game of FILE: everything as it was (to move a game to this server), or with --setup "
        "a new game not started with the same options, missions and players, and new codes."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument("--name", help="the new game's name (default: the name in the file)")
        parser.add_argument(
            "--setup", action="store_true", help="options, missions and players only, as a new draft game"
        )

    def handle(self, *args, file, name, setup, **options):
        what = "setup" if setup else "everything"
        try:
            data = transfer.read_file(file.read_bytes())
            game = transfer.import_game(data, name=name, what=what, actor=ACTOR, source=file.name)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except RuleError as error:
            raise CommandError(f"{file}: {error.message} Nothing was imported.") from None
        new_codes = transfer.new_codes(game)
        self.stdout.write(
            f"import_game: created game #{game.pk} {game.name!r} ({what}, {game.get_status_display()}) with "
            f"{game.missions.count()} missions, {game.players.count()} players, {game.kills.count()} kills, "
            f"{game.events.count()} events"
            + (
                f"; {new_codes} players got new codes (theirs are used here): print their cards again"
                if new_codes
                else ""
            )
        )
