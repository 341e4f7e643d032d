"""`make loadtest`: a production-like server, Locust in steps, and a report of what each step cost.

    python tests/load/run.py --players 5000 --duration 60 --db sqlite

For each step (5, 10, 25, ... players, up to --players, or the exact list given as --players 5,50)
Locust runs headless against a fresh seeded game served by gunicorn through config/gunicorn.conf.py
(DEBUG off, collectstatic done) behind nginx with the site of deploy/nginx/ (--no-nginx: without).
The report in reports/<db>-<worker class>/ has, per step, req/s, p50/p95/p99, errors, stale 409s and
the CPU and memory of the server (gunicorn master + workers, and nginx) and of the load generator,
as CSV and Markdown, with Locust's HTML report per step and a PNG chart.

Exits 1 when a step has an error or a p95 over 500 ms. Prints the capacity: the largest step with no
error and a p95 of at most 100 ms.
"""

import argparse
import os
import shutil
import sys

from measure import run_step
from report import CAPACITY_P95_MS, summary_line, write_reports
from servers import DEFAULT_WORKER, ROOT, Nginx, Server, Sync, prepare, server_env

STEPS = [5, 10, 25, 50, 100, 250, 500, 1000, 2000, 3000, 5000]
MAX_P95_MS = 500  # a step over this fails the run


def main():
    args = parse_args()
    out = ROOT / "reports" / (args.name or f"{args.db}-{args.worker_class.rsplit('.', 1)[-1]}")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    steps = args.players
    env = server_env(args, out)
    prepare(env, max(steps), out)
    with (
        Server(env, out) as server,
        Nginx(args, env, out) as nginx,
        Sync(env, out, enabled=args.with_sync) as sync,
    ):
        rows = []
        for users in steps:
            row = run_step(args, env, out, users, [server.process] + nginx.processes + sync.processes)
            rows.append(row)
            print(summary_line(row), flush=True)
    write_reports(out, rows, args)
    capacity = max(
        (r["players"] for r in rows if r["errors"] == 0 and r["p95"] <= CAPACITY_P95_MS), default=0
    )
    limits = f"0 errors, p95 <= {CAPACITY_P95_MS} ms"
    front = "behind nginx" if args.nginx else "no nginx"
    print(f"Capacity ({args.db}, {args.worker_class}, {front}): {capacity} players ({limits})")
    print(f"Report: {out.relative_to(ROOT)}/report.md")
    broken = [r for r in rows if r["errors"] or r["p95"] > MAX_P95_MS]
    return 1 if broken else 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--players",
        default="1000",
        type=steps_from,
        help="the largest step (the standard steps up to it) or a list of steps: 5,50,500 (one step: 5000,)",
    )
    parser.add_argument("--duration", type=int, default=60, help="seconds measured per step, after the ramp")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--worker-class", default=os.environ.get("GUNICORN_WORKER_CLASS", DEFAULT_WORKER))
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: config/gunicorn.conf.py's)")
    parser.add_argument("--processes", type=int, default=2, help="Locust processes (default 2)")
    parser.add_argument(
        "--cache",
        choices=["redis", "locmem"],
        default="redis",
        help="redis (db 3, sessions cached_db: the production setup) or locmem (db sessions: the default)",
    )
    parser.add_argument("--spawn-rate", type=int, default=20, help="players logging in a second (default 20)")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="scheduling priority of the server and Locust (e.g. -10 on a machine shared with others)",
    )
    parser.add_argument(
        "--nginx",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="nginx in front of gunicorn, as deployed (deploy/nginx/killer.conf, plain HTTP on --port); "
        "--no-nginx: Locust straight to gunicorn",
    )
    parser.add_argument("--name", help="report folder under reports/ (default <db>-<worker class>)")
    parser.add_argument(
        "--with-sync",
        action="store_true",
        help="also run `manage.py sync_sheets --loop --interval 30` beside the server, against the stand-in",
    )
    return parser.parse_args()


def steps_from(text):
    if "," in text:  # a list, of one step too: "5000,"
        return [int(n) for n in text.split(",") if n]
    return [n for n in STEPS if n <= int(text)] or [int(text)]


if __name__ == "__main__":
    sys.exit(main())
