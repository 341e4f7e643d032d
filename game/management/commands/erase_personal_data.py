"""Erase the players' personal data of every game finished before a date (rules.game_erase_personal_data),
e.g. from cron once a school year is over. One summary line."""

import argparse
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from game import rules
from game.models import Game

ACTOR = "command:erase_personal_data"


def day(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-07-01.") from None


class Command(BaseCommand):
    help = (
        "Erase the players' names, e-mails, groups, codes and reasons of every game finished before a "
        "date; kill counts, ranking, missions and the event log stay (docs/security.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--finished-before",
            type=day,
            required=True,
            metavar="YYYY-MM-DD",
            help="games finished before this day (in TIME_ZONE) are erased",
        )
        parser.add_argument("--dry-run", action="store_true", help="count the games; erase nothing")

    def handle(self, *args, finished_before, dry_run, verbosity, **options):
        games = self.games(finished_before)
        players = erased = 0
        refused = []
        for game in games:
            if verbosity >= 2:
                self.stdout.write(f"  {game.name} (#{game.pk}), finished {game.finished_at:%Y-%m-%d %H:%M}")
            if dry_run or self.erase(game, refused):
                erased += 1
                players += game.player_total
        line = (
            f"erase_personal_data{' --dry-run' if dry_run else ''}: {erased} game(s) finished before "
            f"{finished_before} {'would be erased' if dry_run else 'erased'} ({players} players)"
        )
        if refused:
            raise CommandError(f"{line}; {len(refused)} refused: " + " | ".join(refused))
        self.stdout.write(line)

    def games(self, finished_before):
        """The finished games not erased yet whose end came before the start of `finished_before`."""
        cutoff = timezone.make_aware(datetime.combine(finished_before, time.min))
        return list(
            Game.objects.filter(
                status=Game.Status.FINISHED, finished_at__lt=cutoff, personal_data_erased_at__isnull=True
            )
            .annotate(player_total=Count("players"))
            .order_by("finished_at", "pk")
        )

    def erase(self, game, refused):
        """Whether the rule erased the game; it refuses one started again since it was listed."""
        try:
            rules.game_erase_personal_data(game=game, actor=ACTOR)
        except rules.RuleError as error:
            refused.append(f"{game.name} (#{game.pk}): {error.message}")
            return False
        return True
