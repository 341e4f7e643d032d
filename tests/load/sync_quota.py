"""How stale each game's sheet gets when many games share Google's quota of 60 reads and 60 writes a minute.

    python tests/load/sync_quota.py --games 100 --minutes 4 [--changing 1.0]

A SQLite database of its own (under var/, removed at the end), the local Sheets stand-in with Google's
per-minute quota, and `manage.py sync_sheets --loop --interval 30` in its own process, as on a server.
Once every game's sheet has been made and filled, a share of the games (--changing) changes once
every 30 s, each at a random moment (a player renamed through the rules). For each change: the time
until a sync run that started after it succeeded (GameSheet.synced_version reached the change's
version). Prints the failed runs, the stand-in's 429s and calls a minute, and the staleness: median,
95th percentile and worst, over all changes.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--games", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=4)
    parser.add_argument("--changing", type=float, default=1.0, help="share of games changed every 30 s")
    args = parser.parse_args()

    database = ROOT / "var" / f"sync-quota-{os.getpid()}.sqlite3"
    database.parent.mkdir(exist_ok=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="killer.settings",
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="sync-quota-benchmark",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    from game import rules
    from game.models import Game, Player
    from sheets_sync.emulator import credentials
    from sheets_sync.emulator.faults import Faults
    from sheets_sync.emulator.server import make_server
    from sheets_sync.models import GameSheet

    call_command("migrate", verbosity=0)
    server = make_server(faults=Faults(read_quota_per_minute=60, write_quota_per_minute=60))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    key_file = database.with_suffix(".json")
    key_file.write_text(json.dumps(credentials.service_account_info(server.url)))
    for number in range(args.games):
        game = Game.objects.create(name=f"Game {number}")
        for player in range(20):
            rules.player_join(game=game, actor="gm", name=f"Player {number}.{player}")
        rules.mission_add(game=game, text="Make them say banana", actor="gm")
        rules.game_start(game=game, actor="gm")
        spreadsheet = server.store.create(game.name, None)
        GameSheet.objects.create(game=game, spreadsheet_key=spreadsheet["spreadsheetId"])

    log = database.with_suffix(".log")
    env = os.environ | {"SHEETS_API_URL": server.url, "SHEETS_CREDENTIALS_FILE": str(key_file)}
    with log.open("w") as output:
        sync = subprocess.Popen(
            [sys.executable, "manage.py", "sync_sheets", "--loop", "--interval", "30", "-v", "0"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        started = time.monotonic()
        while (
            GameSheet.objects.filter(synced_version=None).exists()
            or GameSheet.objects.exclude(last_error="").exists()
        ):
            if time.monotonic() - started > 1800:
                raise SystemExit("the sheets were not all made within 30 minutes")
            time.sleep(1)
        print(f"{args.games} games: every sheet made and filled in {time.monotonic() - started:.0f} s")
        before = server.traffic.snapshot()
        stale = measure(args, Game, Player, GameSheet, rules)
        after = server.traffic.snapshot()
    finally:
        sync.terminate()
        sync.wait(timeout=120)
    lines = log.read_text().splitlines()
    summaries = [line for line in lines if line.startswith("sync_sheets:")]
    failed = [line for line in summaries if " 0 failed" not in line]
    minutes = args.minutes
    reads = (after["reads"] - before["reads"]) / minutes
    writes = (after["writes"] - before["writes"]) / minutes
    print(
        f"{args.games} games, {args.changing:.0%} changing every 30 s, {minutes:g} min: "
        f"{len(failed)} failed runs, {after['by_status'].get('429', 0)} answers 429; "
        f"{reads:.0f} reads and {writes:.0f} writes a minute (Drive listings included in reads)"
    )
    waits = sorted(stale)
    if waits:
        p95 = waits[min(len(waits) - 1, int(len(waits) * 0.95))]
        print(
            f"staleness over {len(waits)} changes: median {statistics.median(waits):.0f} s, "
            f"p95 {p95:.0f} s, worst {waits[-1]:.0f} s"
        )
    for line in failed[:5]:
        print("  " + line)
    for path in database.parent.glob(f"{database.stem}*"):
        path.unlink()


def measure(args, Game, Player, GameSheet, rules):
    """Change games every 30 s; return, for each change, the seconds until its sheet was synced."""
    pending = {}  # game id -> (version to reach, when it changed)
    stale = []
    end = time.monotonic() + args.minutes * 60
    games = list(Game.objects.all())
    due = []  # (when, game): each changing game once per 30 s, at a moment of its own
    period = time.monotonic()
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= period:
            changing = random.sample(games, round(len(games) * args.changing))
            due += sorted((period + random.uniform(0, 30), game) for game in changing)
            period += 30
        while due and due[0][0] <= now:
            game = due.pop(0)[1]
            player = Player.objects.filter(game=game).order_by("?").first()
            name = f"{player.name.split(' ~')[0]} ~{int(now)}"
            rules.player_update(player=player, actor="gm", name=name)
            if game.pk not in pending:
                pending[game.pk] = (Game.objects.get(pk=game.pk).version, now)
        for game_id, version in GameSheet.objects.filter(game_id__in=pending).values_list(
            "game_id", "synced_version"
        ):
            if version is not None and version >= pending[game_id][0]:
                stale.append(time.monotonic() - pending.pop(game_id)[1])
        time.sleep(0.2)
    return stale


if __name__ == "__main__":
    main()
