"""Run the local Google Sheets API stand-in (see sheets_sync/emulator and the README)."""

import os

from django.core.management.base import BaseCommand

from sheets_sync.emulator.faults import Faults
from sheets_sync.emulator.server import run


class Command(BaseCommand):
    help = "Serve a local stand-in for Google's Sheets API v4 and Drive v3, with optional faults."

    def add_arguments(self, parser):
        # Defaults come from SHEETS_EMULATOR_* environment variables; flags win over them.
        env = Faults.from_env(os.environ)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--data", help="JSON file the spreadsheets are loaded from and saved to")
        parser.add_argument("--latency-ms", type=int, default=env.latency_ms)
        parser.add_argument(
            "--error-rate", type=float, default=env.error_rate, help="share of 500/503 answers"
        )
        parser.add_argument(
            "--drop-rate", type=float, default=env.drop_rate, help="share of dropped connections"
        )
        parser.add_argument(
            "--quota-per-minute",
            type=int,
            default=env.read_quota_per_minute,
            help="read and write requests allowed per minute each, 429 past it (Google: 60); 0 = no quota",
        )
        parser.add_argument(
            "--read-quota-per-minute", type=int, help="overrides --quota-per-minute for reads"
        )
        parser.add_argument(
            "--write-quota-per-minute", type=int, help="overrides --quota-per-minute for writes"
        )
        parser.add_argument("--seed", type=int, help="seed for the random faults, to repeat a run")

    def handle(self, *args, **options):
        quota = options["quota_per_minute"]
        read_quota = options["read_quota_per_minute"]
        write_quota = options["write_quota_per_minute"]
        faults = Faults.from_dict(
            {
                "latency_ms": options["latency_ms"],
                "error_rate": options["error_rate"],
                "drop_rate": options["drop_rate"],
                "read_quota_per_minute": quota if read_quota is None else read_quota,
                "write_quota_per_minute": quota if write_quota is None else write_quota,
                "seed": options["seed"],
            }
        )
        self.stdout.write(f"Sheets API stand-in on http://{options['host']}:{options['port']}/ ({faults})")
        run(options["port"], options["data"], faults, options["host"])
