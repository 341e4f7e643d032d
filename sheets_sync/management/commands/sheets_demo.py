"""Give the demo its Google Sheet on the local stand-in, so that `make run` syncs out of the box."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from game.models import Game
from sheets_sync.client import GOOGLE_API_URL, SheetsError, sheets_client
from sheets_sync.emulator import credentials
from sheets_sync.models import GameSheet


class Command(BaseCommand):
    help = (
        "For the local Sheets API stand-in only: write a service-account key file at "
        "SHEETS_CREDENTIALS_FILE if there is none, and give every game without a sheet a new spreadsheet."
    )

    def handle(self, *args, **options):
        api_url = settings.SHEETS_API_URL.rstrip("/")
        if api_url == GOOGLE_API_URL:
            raise CommandError("SHEETS_API_URL is Google's: this command only sets up the local stand-in.")
        if not settings.SHEETS_CREDENTIALS_FILE:
            raise CommandError("Set SHEETS_CREDENTIALS_FILE: where to write the stand-in's key file.")
        key_file = Path(settings.SHEETS_CREDENTIALS_FILE)
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(json.dumps(credentials.service_account_info(api_url), indent=2))
            self.stdout.write(f"Wrote a service-account key for the stand-in to {key_file}.")
        games = Game.objects.filter(sheet__isnull=True)
        if not games:
            return
        try:
            client = sheets_client()
            for game in games:
                spreadsheet = client.create(f"Killer – {game.name}")
                GameSheet.objects.create(game=game, spreadsheet_key=spreadsheet.id)
                self.stdout.write(f"Game #{game.pk} syncs with {api_url}/view/{spreadsheet.id}")
        except SheetsError as error:
            raise CommandError(f"The Sheets stand-in at {api_url} did not answer: {error}") from error
