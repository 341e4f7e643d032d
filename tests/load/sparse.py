"""Server CPU per poll when polls arrive as phones send them: spread out over many idle connections.

    python tests/load/sparse.py --connections 2000 --seconds 30

wrk (Debian: `apt-get install wrk`) keeps --connections open to one server (as tests/load/run.py
starts it, the game seeded with 1,000 players) and sends on each a request every 4-6 s, with one
player's session: `/api/me` answered 304, then `/api/ping` (the cheapest Django view), then the same
gunicorn serving a bare WSGI app that answers 304 (the floor: gunicorn, gevent and the kernel alone).
Prints req/s, the server's CPU (% of one core) and its CPU per request. Load tests send requests this
way; saturate.py sends them back to back, where a request costs about half as much.
"""

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
from measure import tree
from saturate import log_in
from servers import BIN, DEFAULT_WORKER, ROOT, Server, prepare, server_env

# Each connection waits 4-6 s after an answer before its next request.
WRK_SCRIPT = "function delay()\n  return math.random(4000, 6000)\nend\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=30, help="measured per URL, after 8 s of ramp")
    parser.add_argument("--worker-class", default=DEFAULT_WORKER)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--port", type=int, default=8101)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    args.db, args.cache, args.nice, args.processes, args.nginx = "sqlite", "redis", 0, 1, False
    out = ROOT / "reports" / "sparse"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "sparse.lua").write_text(WRK_SCRIPT)
    env = server_env(args, out)
    prepare(env, 1000, out)
    base = f"http://{env['GUNICORN_BIND']}"
    with Server(env, out) as server:
        cookies, etag = log_in(base, env["LOAD_CODES_FILE"])
        cookie = ["-H", f"Cookie: {cookies}"]
        poll = [*cookie, "-H", f"If-None-Match: {etag}"]
        measure(args, out, server, "/api/me 304", base + "/api/me", poll)
        measure(args, out, server, "/api/ping", base + "/api/ping", cookie)
    bare = dict(env, PYTHONPATH=str(Path(__file__).parent))
    with BareServer(bare, out) as server:
        measure(args, out, server, "bare WSGI 304", base + "/", [])


def measure(args, out, server, label, url, headers):
    command = ["wrk", "-t", "1", "-c", str(args.connections), "-d", f"{args.seconds + 10}s"]
    command += ["--timeout", "10s", "-s", str(out / "sparse.lua"), *headers, url]
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    time.sleep(8)  # every connection open and polling
    processes = [psutil.Process(process.pid) for process in tree([server.process])]
    before, start = cpu_seconds(processes), time.monotonic()
    time.sleep(args.seconds)
    cpu = (cpu_seconds(processes) - before) / (time.monotonic() - start)
    output = wrk.communicate()[0]
    if "Non-2xx or 3xx responses" in output:
        sys.exit(f"{url}: errors during the run:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    per_request = cpu / rps * 1000
    print(f"{label:14s} {rps:6.0f} req/s  server CPU {cpu:4.0%}  {per_request:.2f} ms a request", flush=True)


def cpu_seconds(processes):
    return sum(sum(process.cpu_times()[:2]) for process in processes)


class BareServer(Server):
    """The same gunicorn configuration serving bare_wsgi.py instead of Django."""

    def __enter__(self):
        command = [BIN / "gunicorn", "-c", "config/gunicorn.conf.py", "bare_wsgi:application"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, preexec_fn=self.nice)
        time.sleep(3)  # no /health to wait for
        return self


if __name__ == "__main__":
    main()
