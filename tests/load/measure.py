"""One step of a load test: Locust headless against the running server, and what the step cost
(latency from Locust's statistics and nginx's access log, the CPU and memory of the server and of
Locust, sampled while Locust measures)."""

import csv
import json
import os
import re
import subprocess
import threading
import time
from datetime import datetime

import psutil
from servers import BIN, ROOT

SETTLE_SECONDS = 5  # after the last player is in, for their first polls
# A step whose players are not all in this long after the last one started fails.
MAX_LOGIN_BACKLOG_SECONDS = 120


def run_step(args, env, out, users, server_processes):
    game_masters = int(env["LOAD_GAME_MASTERS"])
    # Players arrive --spawn-rate a second at most: a login storm is not what this measures, and a
    # login is the dearest request (tests/load/costs.py), so a faster ramp's backlog of logins would
    # spill into the measured seconds.
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
