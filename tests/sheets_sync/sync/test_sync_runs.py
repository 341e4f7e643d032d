"""Runs that go wrong around the sync itself: killed half-way, started twice, dry, misconfigured, stopped."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from game.models import Event, Player
from sheets_sync import sync as sync_steps
from sheets_sync.client import MAX_BACKOFF
from sheets_sync.management.commands.sync_sheets import LEASE_MARGIN
from sheets_sync.models import GameSheet
from tests.sheets_sync.sync.helpers import Calls, rows, sync, sync_fails, type_in

BASE_DIR = settings.BASE_DIR


def add_newcomer(sheets_emulator, game_sheet):
    type_in(sheets_emulator, game_sheet, "Players", "B7:C7", [["Newcomer", "new@example.org"]])


def assert_one_newcomer_with_its_id(sheets_emulator, game_sheet, running_game):
    newcomer = Player.objects.get(game=running_game, name="Newcomer")
    newcomer_rows = [p for p in rows(sheets_emulator, game_sheet, "Players") if p["name"] == "Newcomer"]
    assert [p["id"] for p in newcomer_rows] == [str(newcomer.pk)]


def die(*args, **kwargs):
    raise RuntimeError("killed")


@pytest.mark.parametrize("step", ["apply_changes", "sheet_updates", "write_sheet"])
def test_a_run_that_dies_between_steps_is_finished_by_the_next(
    synced_sheet, sheets_emulator, running_game, monkeypatch, step
):
    add_newcomer(sheets_emulator, synced_sheet)
    with monkeypatch.context() as patch:
        patch.setattr(sync_steps, step, die)
        error = sync_fails()
    assert "RuntimeError: killed" in error

    sync()

    assert_one_newcomer_with_its_id(sheets_emulator, synced_sheet, running_game)
    assert GameSheet.objects.get(pk=synced_sheet.pk).lease_owner == ""


def subprocess_env(sheets_emulator, **extra):
    """The environment of a `manage.py sync_sheets` run in its own process, on the test database."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    else:
        database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        "SHEETS_API_URL": sheets_emulator.url,
        "SHEETS_CREDENTIALS_FILE": settings.SHEETS_CREDENTIALS_FILE,
        "LOG_LEVEL": "ERROR",
        **extra,
    }


def wait_for(condition, seconds=60):
    """A bound for a busy machine (a subprocess starting Django): it returns as soon as `condition` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_with_sigkill_is_finished_by_the_next(synced_sheet, sheets_emulator, running_game):
    add_newcomer(sheets_emulator, synced_sheet)
    sheets_emulator.faults(latency_ms=1000)  # time to kill it between its database work and its write
    env = subprocess_env(sheets_emulator, SHEETS_TIMEOUT="5", SHEETS_RUN_SECONDS="20")
    run = subprocess.Popen([sys.executable, "manage.py", "sync_sheets"], cwd=BASE_DIR, env=env)
    wait_for(lambda: Player.objects.filter(name="Newcomer").exists())
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    sheets_emulator.faults()

    # Its lease holds for one call to Google and its backoff at most, not for the whole run.
    left = GameSheet.objects.get().lease_expires_at - timezone.now()
    assert left <= timedelta(seconds=5 + MAX_BACKOFF + LEASE_MARGIN)
    assert "1 busy" in sync()
    GameSheet.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    sync()

    assert_one_newcomer_with_its_id(sheets_emulator, synced_sheet, running_game)


@pytest.mark.django_db(transaction=True)
def test_of_two_runs_started_at_once_one_does_nothing(synced_sheet, sheets_emulator, running_game):
    add_newcomer(sheets_emulator, synced_sheet)
    sheets_emulator.faults(latency_ms=300)
    outputs = []

    def run():
        outputs.append(sync())
        connection.close()

    with Calls(sheets_emulator) as calls:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted("1 busy" in output for output in outputs) == [False, True]
    assert (calls.reads, calls.writes) == (1, 1)
    assert_one_newcomer_with_its_id(sheets_emulator, synced_sheet, running_game)


def test_a_run_renews_its_lease_before_every_call_to_google(
    synced_sheet, sheets_emulator, running_game, monkeypatch
):
    add_newcomer(sheets_emulator, synced_sheet)
    GameSheet.objects.filter(pk=synced_sheet.pk).update(tabs={})  # one more read: the tabs' ids
    renewals = []
    renew = GameSheet.renew_lease

    def counted(game_sheet, token, seconds):
        renewals.append(seconds)
        return renew(game_sheet, token, seconds)

    monkeypatch.setattr(GameSheet, "renew_lease", counted)

    with Calls(sheets_emulator) as calls:
        sync()

    assert (calls.reads, calls.writes) == (2, 1)
    # One before each call, one before the database changes.
    assert len(renewals) == 4
    assert_one_newcomer_with_its_id(sheets_emulator, synced_sheet, running_game)


def test_the_dashboard_tells_a_run_under_way_from_one_that_died(synced_sheet, gm_client, running_game):
    dashboard = f"/admin/game/game/{running_game.pk}/dashboard/"
    assert b"under way" not in gm_client.get(dashboard).content

    synced_sheet.take_lease(60)
    assert b"A sync run is under way" in gm_client.get(dashboard).content

    GameSheet.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    page = gm_client.get(dashboard).content
    assert b"A sync run stopped without finishing" in page
    assert b"under way" not in page


def test_a_game_whose_lease_is_held_is_skipped_and_said_so(synced_sheet, sheets_emulator):
    synced_sheet.take_lease(60)

    with Calls(sheets_emulator) as calls:
        output = sync()

    assert "0 game(s) synced, 0 failed, 1 busy" in output
    assert (calls.reads, calls.writes) == (0, 0)


def test_a_dry_run_writes_nothing_anywhere(synced_sheet, sheets_emulator, running_game):
    add_newcomer(sheets_emulator, synced_sheet)
    Player.objects.filter(name="Hunter").update(group="Team red")
    events = Event.objects.count()

    with Calls(sheets_emulator) as calls:
        output = sync("--dry-run")

    assert "would add player 'Newcomer' from Players row 7" in output
    assert "would write" in output
    assert calls.writes == 0
    assert not Player.objects.filter(name="Newcomer").exists()
    assert Event.objects.count() == events
    status = GameSheet.objects.get(pk=synced_sheet.pk)
    assert (status.last_run_at, status.synced) == (synced_sheet.last_run_at, synced_sheet.synced)


def test_missing_credentials_stop_the_run_with_one_clear_line(game_sheet, settings):
    settings.SHEETS_CREDENTIALS_FILE = ""
    assert sync_fails() == "SHEETS_CREDENTIALS_FILE is not set: name a service account's JSON key file."

    settings.SHEETS_CREDENTIALS_FILE = "/nowhere/key.json"
    assert sync_fails() == "Cannot read SHEETS_CREDENTIALS_FILE /nowhere/key.json: No such file or directory."


def test_a_file_that_is_no_service_account_key_stops_the_run(game_sheet, settings, tmp_path):
    bad = tmp_path / "key.json"
    bad.write_text('{"type": "service_account"}')
    settings.SHEETS_CREDENTIALS_FILE = str(bad)

    assert sync_fails().startswith(f"SHEETS_CREDENTIALS_FILE {bad} is not a service account key")


def test_a_game_without_a_sheet_is_refused(game_sheet):
    assert sync_fails("--game", "999999") == "Game 999999 has no spreadsheet key."


@pytest.mark.django_db(transaction=True)
def test_the_loop_stops_cleanly_on_sigterm(synced_sheet, sheets_emulator):
    env = subprocess_env(sheets_emulator)
    loop = subprocess.Popen(
        [sys.executable, "manage.py", "sync_sheets", "--loop", "--interval", "0.2"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: GameSheet.objects.get(pk=synced_sheet.pk).last_run_at != synced_sheet.last_run_at)
    loop.send_signal(signal.SIGTERM)
    output, _ = loop.communicate(timeout=60)

    assert loop.returncode == 0
    assert output.count("sync_sheets: 1 game(s) synced") >= 1


def test_a_sheet_not_shared_with_the_service_account_fails_at_once(game_sheet, sheets_emulator):
    sheets_emulator.faults(forbidden=[game_sheet.spreadsheet_key])

    with Calls(sheets_emulator) as calls:
        error = sync_fails()

    assert "answered 403" in error
    assert (calls.reads, calls.writes) == (1, 0)  # no retry: sharing the sheet is a person's job
    assert "answered 403" in GameSheet.objects.get(pk=game_sheet.pk).last_error


def test_credentials_google_refuses_fail_the_run_with_one_line(
    game_sheet, sheets_emulator, settings, tmp_path
):
    key = json.loads(Path(settings.SHEETS_CREDENTIALS_FILE).read_text())
    key["token_uri"] = f"{sheets_emulator.url}/no-token-here"
    refused = tmp_path / "refused.json"
    refused.write_text(json.dumps(key))
    settings.SHEETS_CREDENTIALS_FILE = str(refused)

    error = sync_fails()

    assert "Google refused the service account's credentials" in error
    assert "\n" not in error
