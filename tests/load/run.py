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
import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# config/gunicorn.conf.py's default: gevent, on gevent's HTTP server (killer/workers.py).
DEFAULT_WORKER = "killer.workers.GeventWorker"
STEPS = [5, 10, 25, 50, 100, 250, 500, 1000, 2000, 3000, 5000]
MAX_P95_MS = 500  # a step over this fails the run
CAPACITY_P95_MS = 100  # a step within this (and without errors) counts toward the capacity
SETTLE_SECONDS = 5  # after the last player is in, for their first polls
# A step whose players are not all in this long after the last one started fails.
MAX_LOGIN_BACKLOG_SECONDS = 120
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/"
REDIS_URL = "redis://127.0.0.1:6379/3"
SHEETS_PORT = 8799


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


# --- The server -----------------------------------------------------------------------------------


def server_env(args, out):
    env = dict(os.environ)
    if args.db == "postgres":
        database_url = POSTGRES_URL + "killer_load"
    else:
        database_url = f"sqlite:///{ROOT / 'var' / 'load' / 'load.sqlite3'}"
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(ROOT / "var" / "load" / "static"),
        # Plain HTTP on 127.0.0.1: the load generator must get the cookies back.
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        # Behind nginx, gunicorn listens on the next port.
        GUNICORN_BIND=f"127.0.0.1:{args.port + 1 if args.nginx else args.port}",
        LOAD_HOST=f"http://127.0.0.1:{args.port}",
        GUNICORN_WORKER_CLASS=args.worker_class,
        GUNICORN_ERROR_LOG=str(out / "gunicorn.log"),
        GUNICORN_PIDFILE=str(out / "gunicorn.pid"),
        LOAD_CODES_FILE=str(ROOT / "var" / "load" / "codes.csv"),
        LOAD_GAME_MASTERS=os.environ.get("LOAD_GAME_MASTERS", "2"),
        LOAD_PROCESSES=str(args.processes),
        LOAD_NICE=str(args.nice),
    )
    if args.worker_class == "gthread":
        # As measured in docs/load-tests.md: threads that keep their database connections (PostgreSQL's
        # come from the pool instead).
        env.setdefault("GUNICORN_THREADS", "8")
        if args.db == "sqlite":
            env.setdefault("CONN_MAX_AGE", "60")
    if args.cache == "redis":
        env.update(CACHE_URL=REDIS_URL, SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
    else:
        env.update(CACHE_URL="locmemcache://", SESSION_ENGINE="django.contrib.sessions.backends.db")
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    return env


def prepare(env, players, out):
    """A fresh database with one running game of `players` players, and the static files."""
    var = ROOT / "var" / "load"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if env["DATABASE_URL"].startswith("postgres"):
        fresh_postgres_database("killer_load")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    # Cached JSON is keyed by game and version: a fresh database must not meet an old cache.
    manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(
        env,
        "seed_demo",
        "--players",
        str(players),
        "--start",
        "--codes-file",
        env["LOAD_CODES_FILE"],
        "--game-master",
        "gm",
    )


def fresh_postgres_database(name):
    import psycopg

    with psycopg.connect(POSTGRES_URL + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args):
    subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, env=env, check=True)


class Server:
    def __init__(self, env, out):
        self.env, self.out = env, out

    def nice(self):
        os.nice(int(self.env["LOAD_NICE"]))

    def __enter__(self):
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "-c", "config/gunicorn.conf.py"], cwd=ROOT, env=self.env, preexec_fn=self.nice
        )
        try:
            wait_for(f"http://{self.env['GUNICORN_BIND']}/health", self.out / "gunicorn.log")
        except SystemExit:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def wait_for(url, log):
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- our own server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"No answer on {url}: see {log}")


class Nginx:
    """nginx in front of gunicorn (--nginx), with the site of deploy/nginx/killer.conf on plain HTTP:
    phones' idle keep-alive connections end in nginx, which passes requests on over a few upstream
    connections kept open to gunicorn."""

    def __init__(self, args, env, out):
        self.port, self.env = args.port, env
        self.enabled = args.nginx
        self.dir = out / "nginx"
        self.processes = []  # measured with the server

    def __enter__(self):
        if not self.enabled:
            return self
        if not shutil.which("nginx"):
            raise SystemExit("nginx is missing: apt-get install nginx (or --no-nginx)")
        self.dir.mkdir()
        site = plain_http_site(self.port, self.env["GUNICORN_BIND"], self.dir / "killer.access.log")
        (self.dir / "site.conf").write_text(site)
        (self.dir / "nginx.conf").write_text(NGINX_CONF.format(dir=self.dir))
        self.processes = [
            subprocess.Popen(
                ["nginx", "-c", self.dir / "nginx.conf", "-p", self.dir, "-g", "daemon off;"],
                preexec_fn=lambda: os.nice(int(self.env["LOAD_NICE"])),
            )
        ]
        wait_for(f"{self.env['LOAD_HOST']}/health", self.dir / "error.log")
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            process.wait(timeout=60)


# As Debian's /etc/nginx/nginx.conf: a worker per core; the site has its own access log.
NGINX_CONF = """
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{
    worker_connections 16384;
}}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/site.conf;
}}
"""


def plain_http_site(port, upstream, log):
    """deploy/nginx/killer.conf's HTTPS server on 127.0.0.1:port without TLS (Locust speaks HTTP),
    passing on to `upstream`, its access log in `log`; the HTTP-to-HTTPS redirect server left out."""
    site = (ROOT / "deploy" / "nginx" / "killer.conf").read_text()
    site = re.sub(r"(?m)^\s*#.*\n", "", site)
    site, redirects = re.subn(r"\nserver \{\n\s+listen 80;.*?\n\}\n", "\n", site, flags=re.DOTALL)
    site = re.sub(r"\n\s*(ssl_\w+|listen \[::\]:\d+)[^;]*;", "", site)
    site, listens = re.subn(r"(?m)^\s*listen 443 ssl[^;]*;", f"    listen 127.0.0.1:{port};", site)
    site, upstreams = re.subn(r"server 127\.0\.0\.1:8000;", f"server {upstream};", site)
    site, logs = re.subn(r"/var/log/nginx/killer\.access\.log", str(log), site)
    if (redirects, listens, upstreams, logs) != (1, 1, 1, 1) or "ssl" in site:
        raise SystemExit("deploy/nginx/killer.conf changed shape: update plain_http_site() here")
    return site


class Sync:
    """`sync_sheets --loop --interval 30` beside the server, as on a game night, syncing the load
    test's game with a spreadsheet on the local Sheets API stand-in (set up as `make run` does)."""

    def __init__(self, env, out, *, enabled):
        self.env = dict(
            env,
            SHEETS_API_URL=f"http://127.0.0.1:{SHEETS_PORT}",
            SHEETS_CREDENTIALS_FILE=str(out / "sheets-credentials.json"),
        )
        self.out, self.enabled = out, enabled
        self.processes = []  # measured with the server
        self.stand_in = None  # plays Google: not measured

    def __enter__(self):
        if not self.enabled:
            return self
        log = (self.out / "sync.log").open("w")
        self.stand_in = subprocess.Popen(
            [BIN / "python", "manage.py", "sheets_emulator", "--port", str(SHEETS_PORT)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # It does Google's work, which on a game night runs on Google's machines: here it yields
            # the CPU to everything measured.
            preexec_fn=lambda: os.nice(19),
        )
        subprocess.run([BIN / "python", "manage.py", "sheets_demo"], cwd=ROOT, env=self.env, check=True)
        self.processes = [
            subprocess.Popen(
                [BIN / "python", "manage.py", "sync_sheets", "--loop", "--interval", "30"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # As deploy/ runs it: background work, 10 below the server.
                preexec_fn=lambda: os.nice(int(self.env["LOAD_NICE"]) + 10),
            )
        ]
        return self

    def __exit__(self, *exc):
        for process in self.processes + ([self.stand_in] if self.stand_in else []):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


# --- One step -------------------------------------------------------------------------------------


def run_step(args, env, out, users, server_processes):
    game_masters = int(env["LOAD_GAME_MASTERS"])
    # Players arrive --spawn-rate a second at most: a login storm is not what this measures. (A login
    # costs ~28 ms of server CPU with its pages and first poll, tests/load/costs.py: at 50 a second a
    # 5,000-player ramp kept two cores busy and its backlog spilled into the measured seconds.)
    spawn_rate = max(5, min(users, args.spawn_rate))
    # The locustfile starts its statistics once every player is in, writes `settled_file`, and ends
    # the step --duration later; --run-time only bounds a step whose players never all get in.
    ramp = users / spawn_rate
    settled_file = out / f"step-{users:05d}-settled"
    prefix = out / f"step-{users:05d}"
    counters_file = out / f"step-{users:05d}-counters.json"
    command = [
        BIN / "locust",
        "-f",
        "tests/load/locustfile.py",
        "--headless",
        "--host",
        env["LOAD_HOST"],
        "--users",
        str(users + game_masters),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{int(ramp + MAX_LOGIN_BACKLOG_SECONDS + SETTLE_SECONDS + args.duration)}s",
        "--csv",
        str(prefix),
        "--html",
        f"{prefix}.html",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
    ]
    if args.processes > 1:
        command += ["--processes", str(args.processes)]
    step_env = dict(
        env,
        LOAD_COUNTERS_FILE=str(counters_file),
        LOAD_SETTLE_SECONDS=str(SETTLE_SECONDS),
        LOAD_MEASURE_SECONDS=str(args.duration),
        LOAD_SETTLED_FILE=str(settled_file),
        LOAD_STEP_PLAYERS=str(users),
    )
    log = (out / f"step-{users:05d}-locust.log").open("w")
    locust = subprocess.Popen(
        command,
        cwd=ROOT,
        env=step_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: os.nice(args.nice),
    )
    sampler = Sampler(server_processes, [locust])
    while not settled_file.exists() and locust.poll() is None:
        time.sleep(0.2)
    sampler.start()  # the steady state only, as Locust's statistics
    locust.wait()
    sampler.stop()
    settled = settled_file.exists()
    if not settled:
        print(f"{users} players: not all logged in {MAX_LOGIN_BACKLOG_SECONDS} s after the last one started")
    stats = aggregated_stats(f"{prefix}_stats.csv")
    counters = json.loads(counters_file.read_text()) if counters_file.exists() else {}
    nginx_log = out / "nginx" / "killer.access.log"
    at_server = (
        server_p95(nginx_log, float(settled_file.read_text()), args.duration)
        if settled and args.nginx
        else "-"
    )
    return {
        "players": users,
        "rps": round(float(stats["Requests/s"]), 1),
        "p50": int(float(stats["50%"])),
        "p95": int(float(stats["95%"])),
        "p99": int(float(stats["99%"])),
        "server_p95": at_server,
        "errors": counters.get("errors", 0)
        + (1 if locust.returncode not in (0, 1) else 0)
        + (0 if settled else 1),
        "stale_409": counters.get("stale", 0),
        "not_modified": counters.get("not_modified", 0),
        "requests": int(stats["Request Count"]),
        # Other work on the machine (1-minute load average, 2 cores: 2 is full) skews a step.
        "load_avg": round(os.getloadavg()[0], 1),
        "server_cpu": sampler.server_cpu,
        "server_rss_mb": sampler.server_rss_mb,
        "locust_cpu": sampler.locust_cpu,
    }


NGINX_LINE = re.compile(r'\[([^\]]+)\] "(?:[^"\\]|\\.)*" \d+ \d+ ([\d.]+)')


def server_p95(log, start, seconds):
    """The p95 of nginx's request time (ms) over the measured seconds: the server's share of the
    latency Locust measures, without the time a starved load generator took to see the answer."""
    times = []
    with open(log) as f:
        for line in f:
            # log_format killer (deploy/nginx/killer.conf): [time] "request" status bytes request_time
            at, took = NGINX_LINE.search(line).groups()
            if start <= datetime.strptime(at, "%d/%b/%Y:%H:%M:%S %z").timestamp() < start + seconds:
                times.append(float(took))
    times.sort()
    return round(times[int(len(times) * 0.95)] * 1000) if times else "-"


def aggregated_stats(path):
    with open(path, newline="") as f:
        return next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")


class Sampler:
    """Mean CPU (% of one core) and peak memory of two process trees, sampled every second."""

    def __init__(self, server_roots, locust_roots):
        self.server_roots, self.locust_roots = server_roots, locust_roots
        self.cpu = {"server": [], "locust": []}
        self.rss = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()

    def _run(self):
        trees = {"server": self.server_roots, "locust": self.locust_roots}
        known = {}
        while not self._stop.wait(1):
            for kind, roots in trees.items():
                total, rss = 0.0, 0
                for process in tree(roots):
                    key = (kind, process.pid)
                    try:
                        if key not in known:
                            known[key] = psutil.Process(process.pid)
                            known[key].cpu_percent()
                            continue
                        total += known[key].cpu_percent()
                        rss += known[key].memory_info().rss
                    except psutil.Error:
                        continue
                self.cpu[kind].append(total)
                if kind == "server":
                    self.rss.append(rss)

    @property
    def server_cpu(self):
        return mean(self.cpu["server"])

    @property
    def locust_cpu(self):
        return mean(self.cpu["locust"])

    @property
    def server_rss_mb(self):
        return round(max(self.rss, default=0) / 2**20)


def tree(roots):
    processes = []
    for root in roots:
        try:
            parent = psutil.Process(root.pid)
            processes += [parent, *parent.children(recursive=True)]
        except psutil.Error:
            continue
    return processes


def mean(values):
    values = values[1:]  # the first sample's CPU is since the process started
    return round(sum(values) / len(values)) if values else 0


# --- Reports --------------------------------------------------------------------------------------

COLUMNS = [
    ("players", "players"),
    ("rps", "req/s"),
    ("p50", "p50 ms"),
    ("p95", "p95 ms"),
    ("p99", "p99 ms"),
    ("server_p95", "nginx p95 ms"),
    ("errors", "errors"),
    ("stale_409", "stale 409"),
    ("server_cpu", "server CPU %"),
    ("server_rss_mb", "server RSS MB"),
    ("locust_cpu", "Locust CPU %"),
    ("load_avg", "load avg"),
]


def summary_line(row):
    return "  ".join(f"{title}={row[key]}" for key, title in COLUMNS)


def write_reports(out, rows, args):
    with (out / "report.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    workers = args.workers or "default"
    lines = [
        f"Database {args.db}, cache {args.cache}, gunicorn {args.worker_class} workers: {workers}"
        f"{' behind nginx' if args.nginx else ''}, "
        f"{args.duration} s measured per step, Locust in {args.processes} process(es) on the same machine "
        f"({psutil.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB). "
        f"CPU is % of one core.",
        "",
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + " ---: |" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(str(row[key]) for key, _ in COLUMNS) + " |" for row in rows]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    chart(out, rows, args)


def chart(out, rows, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    players = [r["players"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 5))
    for key in ("p50", "p95", "p99"):
        ax.plot(players, [r[key] for r in rows], marker="o", label=key)
    ax.axhline(CAPACITY_P95_MS, color="grey", linestyle="--", linewidth=1, label="capacity limit (p95)")
    ax.set_xscale("log")
    ax.set_yscale("log")  # a few ms when all is well, seconds once saturated
    ax.set_xlabel("players (polling every ~5 s)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"Killer: latency against players ({args.db}, {args.worker_class})")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.savefig(out / "latency.png", dpi=100, bbox_inches="tight")


if __name__ == "__main__":
    sys.exit(main())
