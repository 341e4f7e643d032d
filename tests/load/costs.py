"""Server CPU per request, along a player's first minute: what a login costs, and a poll after it.

    python tests/load/costs.py --sessions 600

One server (as tests/load/run.py starts it: DEBUG off, gunicorn through config/gunicorn.conf.py, a
seeded running game), then `--sessions` players, 4 at a time, each on its own connection (so on one
worker): they open the login page, log in, open the dashboard, poll /api/me (a 200, then 304s: the
first one reads the session), look at the leaderboard, and call /api/ping, the cheapest Django
view. For each step, the CPU time of gunicorn's processes divided by the number of requests. The
first request of each connection also pays for the connection.
"""

import argparse
import csv
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from measure import tree
from servers import DEFAULT_WORKER, ROOT, Server, prepare, server_env


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cache", choices=["redis", "locmem"], default="redis")
    parser.add_argument("--worker-class", default=DEFAULT_WORKER)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--players", type=int, default=2000, help="size of the seeded game")
    parser.add_argument("--sessions", type=int, default=600, help="players taken through the steps")
    parser.add_argument("--port", type=int, default=8102)
    args = parser.parse_args()
    args.processes, args.nginx, args.nice = 1, False, 0
    out = ROOT / "reports" / f"costs-{args.db}-{args.worker_class.rsplit('.', 1)[-1]}"
    out.mkdir(parents=True, exist_ok=True)
    env = server_env(args, out)
    prepare(env, args.players, out)
    base = f"http://{env['GUNICORN_BIND']}"
    with open(env["LOAD_CODES_FILE"], newline="") as f:
        codes = [row["login_code"] for row in csv.DictReader(f)][: args.sessions]
    if len(codes) < args.sessions:
        sys.exit("--sessions must not exceed --players")
    phones = [requests.Session() for _ in codes]
    etags = {}

    def log_in(i):
        headers = {"X-CSRFToken": phones[i].cookies["csrftoken"]}
        response = phones[i].post(base + "/api/login", json={"code": codes[i]}, headers=headers)
        response.raise_for_status()

    def first_poll(i):
        response = phones[i].get(base + "/api/me")
        response.raise_for_status()
        etags[i] = response.headers["ETag"]

    def poll(i):
        if phones[i].get(base + "/api/me", headers={"If-None-Match": etags[i]}).status_code != 304:
            raise RuntimeError("a poll of an unchanged game got its JSON")

    steps = [
        ("GET / (the login page)", lambda i: phones[i].get(base + "/").raise_for_status()),
        ("POST /api/login", log_in),
        ("GET /me/ (the dashboard)", lambda i: phones[i].get(base + "/me/").raise_for_status()),
        ("GET /api/me, 200", first_poll),
        *[(f"GET /api/me, 304 (poll {n})", poll) for n in range(2, 6)],
        ("GET /api/leaderboard, 200", lambda i: phones[i].get(base + "/api/leaderboard").raise_for_status()),
        ("GET /api/ping", lambda i: phones[i].get(base + "/api/ping").raise_for_status()),
    ]
    setup = f"{args.db}, {args.worker_class}, cache {args.cache}"
    print(f"{args.sessions} players ({setup}): gunicorn's CPU per request")
    with Server(env, out) as server:
        for label, step in steps:
            before, started = cpu_seconds(server.process), time.monotonic()
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(step, range(len(codes))))
            cost = (cpu_seconds(server.process) - before) / len(codes) * 1000
            print(f"{label:30s} {cost:6.2f} ms   ({time.monotonic() - started:.1f} s)", flush=True)


def cpu_seconds(gunicorn):
    """User and system CPU of the gunicorn master and its workers."""
    return sum(sum(process.cpu_times()[:2]) for process in tree([gunicorn]))


if __name__ == "__main__":
    main()
