"""Write a whole game as a JSON file (game/transfer.py), to import it here or on another server."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from game import transfer
from game.models import Game


class Command(BaseCommand):
    help = "Write game ID, with its missions, players, kills and events, as a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("game_id", type=int, metavar="ID")
        parser.add_argument("--output", type=Path, help="the file to write (default: standard output)")

    def handle(self, *args, game_id, output, **options):
        game = Game.objects.filter(pk=game_id).first()
        if game is None:
            raise CommandError(f"No game #{game_id}.")
        text = transfer.file_text(game)
        if output is None:
            self.stdout.write(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
        # On standard error when the file goes to standard output, so that it stays valid JSON.
        summary = self.stdout if output else self.stderr
        summary.write(
            f"export_game: game #{game.pk} {game.name!r} written to {output or 'standard output'} "
            f"({game.players.count()} players, {game.kills.count()} kills, {game.events.count()} events)"
        )
