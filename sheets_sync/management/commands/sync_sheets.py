"""Keep each game's Google Sheet in step with the database, and take back the game masters' roster edits.

Run by cron every 30 s (`manage.py sync_sheets`), or as a service (`manage.py sync_sheets --loop`).
Per game and run: 1 read (2 when the tabs changed) and at most 1 write, none when nothing changed.
When Google is down, slow or out of quota, the run gives up at its deadline, records the error and
exits non-zero; the next run catches up. A lease on each game's GameSheet row keeps two runs from
syncing the same game at once.
"""

import logging
import signal
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import ngettext

from game.models import Game
from sheets_sync import budget, sync
from sheets_sync.client import MAX_BACKOFF, CredentialsError, SheetsError, sheets_client
from sheets_sync.models import GameSheet

logger = logging.getLogger(__name__)

# A run renews its lease on a game before every attempt of every call to Google, so a lease need only
# outlast one attempt (SHEETS_TIMEOUT), the backoff before the next one and the database work between
# them (this margin). A run killed half-way holds its game for no longer than that.
LEASE_MARGIN = 5


def lease_seconds():
    return settings.SHEETS_TIMEOUT + MAX_BACKOFF + LEASE_MARGIN


class LeaseLost(Exception):
    """This run overran its lease and another run may have taken the game: stop before writing."""


class Deferred(Exception):
    """Google's per-minute quota is spent for longer than this run has left: the next run goes on."""


@dataclass
class Outcome:
    """What one game's sync did, for its GameSheet row and the summary line."""

    game: str
    busy: bool = False
    deferred: bool = False  # Google's per-minute quota or the run's time was spent: the next run goes on
    error: str = ""
    reads: int = 0
    writes: int = 0
    drive_calls: int = 0
    retries: int = 0
    rows_created: int = 0
    rows_updated: int = 0
    changes: int = 0
    warnings: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = "Sync each game's Google Sheet with the database, both ways (see docs/sheets-sync.md)."

    def add_arguments(self, parser):
        parser.add_argument("--game", type=int, help="Sync only the game with this id.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read the sheets and print what would change; write nothing.",
        )
        parser.add_argument(
            "--loop", action="store_true", help="Run again every --interval seconds until SIGTERM."
        )
        parser.add_argument("--interval", type=float, default=30, help="Seconds between runs with --loop.")

    def handle(self, *args, game=None, dry_run=False, loop=False, interval=30, verbosity=1, **options):
        self.game_id = game
        self.finished = 0  # finished games whose sheet is up to date, left alone
        self.unchanged = 0  # games whose database and sheet did not change since their last run
        self.drive_calls = 0
        self.modified = None
        self.dry_run = dry_run
        self.verbosity = verbosity
        self.stopping = threading.Event()
        if (
            game is not None
            and not GameSheet.objects.filter(game_id=game).exclude(spreadsheet_key="").exists()
        ):
            raise CommandError(f"Game {game} has no spreadsheet key.")
        try:
            self.client = sheets_client()
        except CredentialsError as error:
            raise CommandError(str(error)) from None

        previous = self.catch_sigterm()
        try:
            while True:
                started = time.monotonic()
                outcomes = self.sync_all()
                line = self.summary(outcomes, time.monotonic() - started)
                failed = any(o.error for o in outcomes)
                if not loop:
                    if failed:
                        raise CommandError(line)
                    if verbosity:
                        self.stdout.write(line)
                    return
                (self.stderr if failed else self.stdout).write(line)
                pause = interval - (time.monotonic() - started)
                if any(o.deferred for o in outcomes):
                    # Games wait for Google's quota: go on as soon as the next window opens.
                    pause = min(pause, budget.WINDOW_SECONDS)
                if self.stopping.wait(max(0, pause)):
                    return
                # A service lives for weeks: drop database connections the server closed meanwhile.
                close_old_connections()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def catch_sigterm(self):
        """Stop after the game being synced when systemd (or anyone) sends SIGTERM."""
        if threading.current_thread() is not threading.main_thread():
            return None
        return signal.signal(signal.SIGTERM, lambda signum, frame: self.stopping.set())

    def game_sheets(self, modified):
        """The games to sync, the longest-waiting first, so that a slow run cannot starve the last ones.

        Left alone (but with --game): a game whose database has not changed since its last successful
        run and whose sheet nobody has changed since (`modified`: Drive's modifiedTime of each
        spreadsheet, None when Drive could not tell), and a finished game whose sheet is at the game's
        version. Google's quota of reads would otherwise go to sheets that did not change."""
        sheets = GameSheet.objects.exclude(spreadsheet_key="").select_related("game")
        if self.game_id is not None:
            return list(sheets.filter(game_id=self.game_id))
        done = Q(game__status=Game.Status.FINISHED, synced_version__gte=F("game__version"))
        self.finished = sheets.filter(done).count()
        candidates = sheets.exclude(done).order_by(F("last_run_at").asc(nulls_first=True), "pk")
        wanted = [game_sheet for game_sheet in candidates if not unchanged(game_sheet, modified)]
        self.unchanged = len(candidates) - len(wanted)
        return wanted

    def modified_times(self):
        """Drive's modifiedTime of every spreadsheet the service account sees, in one call (Drive's
        quota, not Sheets'); None when Drive did not answer, and then every sheet is read."""
        http = self.client.http_client
        http.start(settings.SHEETS_TIMEOUT)
        try:
            files = self.client.list_spreadsheet_files()
        except SheetsError as error:
            logger.warning("Drive's list of spreadsheets failed, every sheet will be read: %s", error)
            return None
        finally:
            self.drive_calls = http.drive_calls
        return {file["id"]: file.get("modifiedTime", "") for file in files}

    def sync_all(self) -> list[Outcome]:
        self.unchanged = 0
        self.deadline = time.monotonic() + settings.SHEETS_RUN_SECONDS
        self.modified = self.modified_times()
        outcomes: list[Outcome] = []
        for game_sheet in self.game_sheets(self.modified):
            if self.stopping.is_set():
                break
            seconds = self.deadline - time.monotonic()
            if (outcomes and outcomes[-1].deferred) or seconds < settings.SHEETS_TIMEOUT / 10:
                # The quota or the run's time is spent: the games left wait for the next run, which
                # starts with them (the longest-waiting first).
                outcomes.append(Outcome(game=label(game_sheet), deferred=True))
                continue
            outcomes.append(self.sync_game(game_sheet, seconds))
        return outcomes

    def sync_game(self, game_sheet: GameSheet, seconds: float) -> Outcome:
        """Sync one game, within `seconds`; any failure ends up in the Outcome, not raised."""
        outcome = Outcome(game=label(game_sheet))
        token = None
        if not self.dry_run:
            token = game_sheet.take_lease(lease_seconds())
            if token is None:
                outcome.busy = True
                return outcome
        http = self.client.http_client

        def before_attempt(access):
            if access != "drive":
                self.spend(access)
            if token is not None:
                self.keep_lease(game_sheet, token)

        http.start(seconds, before_attempt=before_attempt)
        started = time.monotonic()
        saved = {}
        try:
            saved = self.sync_steps(game_sheet, token, outcome)
        except Deferred:
            outcome.deferred = True
        except (SheetsError, LeaseLost) as error:
            outcome.error = str(error)
        except Exception as error:
            logger.exception("Sync of game %s failed", game_sheet.game_id)
            outcome.error = f"{type(error).__name__}: {error}"
        finally:
            outcome.reads, outcome.writes, outcome.retries = http.reads, http.writes, http.retries
            if token is not None:
                # A deferred game keeps its place at the head of the line: its last run stays as it was.
                if not outcome.deferred:
                    self.record(game_sheet, outcome, time.monotonic() - started, saved)
                game_sheet.release_lease(token)
        return outcome

    def spend(self, access):
        """Take one call from Google's per-minute quota (budget.py), waiting for the next window while
        this run has time; raise Deferred when it has not."""
        while True:
            try:
                budget.take(access)
                return
            except budget.Spent as spent:
                if time.monotonic() + spent.wait + settings.SHEETS_TIMEOUT > self.deadline:
                    raise Deferred from None
                if self.stopping.wait(spent.wait):
                    raise Deferred from None

    def sync_steps(self, game_sheet, token, outcome) -> dict:
        """Read, plan, apply, write. Returns the GameSheet fields to save for the next run."""
        game, key = game_sheet.game, game_sheet.spreadsheet_key
        version = game.version  # as the run starts: a change made meanwhile is synced next run
        sheet = sync.read_sheet(self.client, key, game_sheet.tabs)
        plan = sync.plan_changes(game, sheet, game_sheet.synced)
        codes = game_sheet.publish_login_codes
        preview = sync.sheet_updates(game, sheet, plan, login_codes=codes)
        layout = sync.layout_requests(sheet, preview)
        if self.dry_run:
            self.show_dry_run(label(game_sheet), plan, preview, layout)
            outcome.warnings = plan.warnings + preview.warnings
            return {}
        if layout:
            # A tab to add or a grid to grow: that is this run's one write. The next run fills the cells.
            sync.write_layout(self.client, key, layout)
            outcome.warnings = plan.warnings + [
                ngettext(
                    "%(count)d tab added or grown; its cells follow on the next run.",
                    "%(count)d tabs added or grown; their cells follow on the next run.",
                    len(layout),
                )
                % {"count": len(layout)}
            ]
            return {"tabs": sync.sheet_ids_of(sheet)}  # without the new tabs: the next run reads their ids
        # Still this run's game before changing the database (the calls renew the lease as they go).
        self.keep_lease(game_sheet, token)
        if self.verbosity >= 2:
            for line in plan.describe():
                self.stdout.write(f"  {label(game_sheet)}: {line}")
        outcome.changes = sync.apply_changes(game, plan)
        updates = sync.sheet_updates(game, sheet, plan, login_codes=codes)
        outcome.warnings = plan.warnings + updates.warnings
        sync.write_sheet(self.client, key, updates)
        outcome.rows_created, outcome.rows_updated = updates.rows_created, updates.rows_updated
        return {
            "synced": updates.synced,
            "tabs": sync.sheet_ids_of(sheet),
            "synced_version": version,
            # As Drive listed it before the read: a later change, the write just made included,
            # makes the next run read the sheet again.
            "sheet_modified_at": (self.modified or {}).get(key, ""),
        }

    def keep_lease(self, game_sheet, token):
        if not game_sheet.renew_lease(token, lease_seconds()):
            raise LeaseLost("the lease on this game ran out; another run may be syncing it")

    def record(self, game_sheet, outcome, duration, saved):
        """Save how the run went on the GameSheet row, for the admin."""
        now = timezone.now()
        fields = {
            "last_run_at": now,
            "last_duration": round(duration, 3),
            "calls": outcome.reads + outcome.writes,
            "rows_created": outcome.rows_created,
            "rows_updated": outcome.rows_updated,
            "warnings": outcome.warnings,
            "last_error": outcome.error,
        }
        if outcome.error:
            # A tab renamed or a grid shrunk may be why: the next run reads the tabs afresh.
            fields["tabs"] = {}
        else:
            fields["last_success_at"] = now
            fields.update(saved)
        GameSheet.objects.filter(pk=game_sheet.pk).update(**fields)

    def show_dry_run(self, name, plan, preview, layout):
        self.stdout.write(f"{name}:")
        for line in plan.describe():
            self.stdout.write(f"  would {line}")
        if layout:
            self.stdout.write(f"  would add or grow {len(layout)} tab(s); the cells follow on the next run")
            return
        cells = sum(len(cells) for cells in preview.cells.values())
        rows = f"{preview.rows_created} new row(s), {preview.rows_updated} changed"
        added = len(plan.joins) + len(plan.new_missions)
        then = f", then the ids and codes of the {added} row(s) added" if added else ""
        self.stdout.write(f"  would write {cells} cell(s): {rows}{then}")

    def summary(self, outcomes, duration) -> str:
        """The run in one line; warnings before it, one per line, from verbosity 1."""
        if self.verbosity:
            for outcome in outcomes:
                for warning in outcome.warnings:
                    self.stdout.write(f"  {outcome.game}: {warning}")

        def total(attribute):
            return sum(getattr(outcome, attribute) for outcome in outcomes)

        synced = sum(1 for o in outcomes if not o.busy and not o.error and not o.deferred)
        busy = sum(1 for o in outcomes if o.busy)
        deferred = sum(1 for o in outcomes if o.deferred)
        failures = [f"{o.game}: {o.error}" for o in outcomes if o.error]
        reads, writes = total("reads"), total("writes")
        parts = [
            f"{synced} game(s) synced, {len(failures)} failed, {busy} busy (another run is syncing them)"
            + (
                f", {deferred} deferred to the next run (Google's quota or this run's time)"
                if deferred
                else ""
            )
            + (f", {self.unchanged} unchanged" if self.unchanged else "")
            + (f", {self.finished} finished and up to date" if self.finished else ""),
            f"{reads + writes} calls ({reads} reads, {writes} writes, {total('retries')} retries)"
            + f" and {self.drive_calls} to Drive",
            f"{total('rows_created')} rows created, {total('rows_updated')} updated",
            f"{total('changes')} changes from the sheet",
            f"{sum(len(o.warnings) for o in outcomes)} warnings",
            f"{duration:.2f} s",
        ]
        line = ("sync_sheets --dry-run: " if self.dry_run else "sync_sheets: ") + "; ".join(parts)
        if failures:
            line += " | " + " | ".join(failures)
        return line


def unchanged(game_sheet, modified):
    """Neither the game nor its sheet changed since the last successful run."""
    return (
        modified is not None
        and not game_sheet.last_error
        and game_sheet.synced_version is not None
        and game_sheet.synced_version >= game_sheet.game.version
        and bool(game_sheet.sheet_modified_at)
        and modified.get(game_sheet.spreadsheet_key) == game_sheet.sheet_modified_at
    )


def label(game_sheet):
    return f"{game_sheet.game.name} (#{game_sheet.game_id})"
