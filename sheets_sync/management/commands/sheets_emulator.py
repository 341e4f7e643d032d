"""Run the local Google Sheets API stand-in (see sheets_sync/emulator and docs/sheets-sync.md)."""

import os

from django.core.management.base import BaseCommand, CommandError

from sheets_sync.emulator.errors import ApiError
from sheets_sync.emulator.faults import Faults
from sheets_sync.emulator.server import run

FAULT_OPTIONS = (
    "latency_ms",
    "error_rate",
    "drop_rate",
    "read_quota_per_minute",
    "write_quota_per_minute",
    "seed",
)


class Command(BaseCommand):
    help = "Serve a local stand-in for Google's Sheets API v4 and Drive v3, with optional faults."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--data", help="JSON file the spreadsheets are loaded from and saved to")
        # Fault flags left out fall back to the SHEETS_EMULATOR_* environment variables, then to off.
        parser.add_argument("--latency-ms", type=int, help="added to every answer")
        parser.add_argument("--error-rate", type=float, help="share of 500/503 answers, 0 to 1")
        parser.add_argument("--drop-rate", type=float, help="share of connections closed unanswered, 0 to 1")
        parser.add_argument(
            "--quota-per-minute", type=int, help="reads and writes per minute each (Google: 60)"
        )
        parser.add_argument(
            "--read-quota-per-minute", type=int, help="overrides --quota-per-minute for reads"
        )
        parser.add_argument(
            "--write-quota-per-minute", type=int, help="overrides --quota-per-minute for writes"
        )
        parser.add_argument("--seed", type=int, help="seed for the random faults, to repeat a run")

    def handle(self, *args, **options):
        try:
            faults = self.faults(options)
        except (ApiError, ValueError) as error:
            raise CommandError(f"Bad fault settings: {error}") from error
        self.stdout.write(f"Sheets API stand-in on http://{options['host']}:{options['port']}/ ({faults})")
        run(options["port"], options["data"], faults, options["host"])

    def faults(self, options):
        settings = Faults.from_env(os.environ).as_dict()
        quota = options["quota_per_minute"]
        if quota is not None:
            settings.update(read_quota_per_minute=quota, write_quota_per_minute=quota)
        settings.update({name: options[name] for name in FAULT_OPTIONS if options[name] is not None})
        return Faults.from_dict(settings)
