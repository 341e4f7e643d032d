"""Apply what falls due in the running games as time passes: for now, the claim timeouts.

Run by cron every minute (`manage.py game_clock`), or as a service (`manage.py game_clock --loop`).
Each change is one rule (rules.claim_time_out) that re-checks under the game's lock that it is still
due, so a clock that was down catches up on its next run, and two clocks at once (two servers, cron
beside the service) never apply a change twice: the second finds nothing left to do.
"""

import logging
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from game import rules
from game.errors import RuleError
from game.models import Game

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Apply the claim timeouts that fell due in the running games."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="Run again every --interval seconds until SIGTERM."
        )
        parser.add_argument("--interval", type=float, default=30, help="Seconds between runs with --loop.")

    def handle(self, *args, loop=False, interval=30, verbosity=1, **options):
        stopping = threading.Event()
        previous = None
        if threading.current_thread() is threading.main_thread():
            # Stop between two games when systemd (or anyone) sends SIGTERM.
            previous = signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
        try:
            while True:
                started = time.monotonic()
                applied, failed = self.tick_all(stopping)
                line = f"game_clock: {applied} change(s) applied, {failed} game(s) failed"
                if verbosity or failed:
                    (self.stderr if failed else self.stdout).write(line)
                if not loop or stopping.wait(max(0, interval - (time.monotonic() - started))):
                    return
                # A service lives for weeks: drop database connections the server closed meanwhile.
                close_old_connections()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def tick_all(self, stopping):
        """One tick of every running game with a claim timeout; a game that fails does not stop the others."""
        applied = failed = 0
        games = Game.objects.filter(status=Game.Status.RUNNING, claim_timeout_minutes__gt=0).order_by("pk")
        for game in games:
            if stopping.is_set():
                break
            try:
                applied += rules.clock_tick(game=game, now=timezone.now())
            except RuleError as error:
                failed += 1
                logger.error("The clock of game %s failed: %s", game.pk, error)
        return applied, failed
