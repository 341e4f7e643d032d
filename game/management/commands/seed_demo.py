"""Create a demo game: players, missions and (optionally) a game-master account, started or not."""

import csv
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from game import rules
from game.models import Game, Mission, Player

ACTOR = "command:seed_demo"
DEMO_PASSWORD = "killer-demo"  # noqa: S105 -- a demo account on a development machine, printed by `make run`

# Addressed to the killer as "vous", like the pages; each reads right whoever the target is.
MISSIONS = [
    "Lui faire dire « banane ».",
    "Lui faire tenir votre verre.",
    "Lui faire prendre une photo de vous.",
    "Lui faire épeler son prénom à l'envers.",
    "Lui faire chanter un refrain.",
    "Lui faire lacer une chaussure.",
    "Lui faire dire l'heure qu'il est.",
    "Lui faire goûter quelque chose.",
    "Lui faire serrer la main trois fois de suite.",
    "Lui faire prononcer le mot « ornithorynque ».",
    "Lui faire compter jusqu'à dix en anglais.",
    "Lui faire écrire son nom sur un papier que vous tenez.",
    "Lui faire porter votre sac.",
    "Lui faire dire « c'est fini » sans éveiller ses soupçons.",
    "Lui faire faire un high five.",
]
FIRST_NAMES = [
    "Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gabrielle", "Hugo", "Inès", "Jules",
    "Karim", "Léa", "Mathis", "Nina", "Oscar", "Pauline", "Quentin", "Rose", "Samir", "Théo",
]  # fmt: skip
GROUPS = ["Terminale A", "Terminale B", "Première C", "Professeurs"]


class Command(BaseCommand):
    help = "Create a demo Killer game with N players (and a demo game-master account)."

    def add_arguments(self, parser):
        parser.add_argument("--players", type=int, default=20, help="number of players (default 20)")
        parser.add_argument("--name", default="Partie de démonstration", help="the game's name")
        parser.add_argument("--start", action="store_true", help="start the game once it is created")
        parser.add_argument("--codes-file", type=Path, help="write name,login_code,death_code as CSV here")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when a game exists already")
        parser.add_argument(
            "--game-master",
            metavar="USERNAME",
            help=f"also create this staff account, password {DEMO_PASSWORD!r}, if it does not exist",
        )

    def handle(self, *args, players, name, start, codes_file, if_empty, game_master, **options):
        if game_master:
            self.create_game_master(game_master)
        if if_empty and Game.objects.exists():
            self.stdout.write("A game exists already: no demo game created.")
            if codes_file and not codes_file.exists():
                self.write_codes(Game.objects.first(), codes_file)
            return
        if players < 2:
            raise CommandError("A game needs at least two players.")
        game = self.create_game(name, players)
        if start:
            rules.game_start(game=game, actor=ACTOR)
        if codes_file:
            self.write_codes(game, codes_file)
        self.stdout.write(
            f"Created game #{game.pk} {game.name!r} with {players} players{' (started)' if start else ''}."
        )

    def create_game_master(self, username):
        User = get_user_model()
        if not User.objects.filter(username=username).exists():
            User.objects.create_superuser(username=username, email="", password=DEMO_PASSWORD)
            self.stdout.write(f"Created game-master account {username!r}.")

    def create_game(self, name, count):
        game = Game.objects.create(name=name)
        Mission.objects.bulk_create(Mission(game=game, text=text) for text in MISSIONS)
        Player.objects.bulk_create(
            Player(
                game=game,
                name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {i + 1}",
                group=GROUPS[i % len(GROUPS)],
            )
            for i in range(count)
        )
        return game

    def write_codes(self, game, path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["name", "login_code", "death_code"])
            for player in game.players.order_by("pk"):
                writer.writerow([player.name, player.login_code, player.death_code])
