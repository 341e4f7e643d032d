"""Saturation throughput of `GET /api/me` beside the cheapest Django view, `GET /api/ping`.

    python tests/load/saturate.py --db sqlite --seconds 15

One server (as tests/load/run.py starts it: DEBUG off, gunicorn through config/gunicorn.conf.py, a
seeded running game), then wrk (Debian: `apt-get install wrk`) at full speed, one URL after the
other, with one player's session cookie: /api/ping, /api/me answered 304 (the poll of an unchanged
game) and /api/me answered 200. Prints req/s and /api/me's share of /api/ping's.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from servers import ROOT, Server, prepare, server_env

URLS = [
    ("/api/ping", "ping", False),
    ("/api/me", "me (304)", True),
    ("/api/me", "me (200)", False),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cache", choices=["redis", "locmem"], default="redis")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--players", type=int, default=1000, help="size of the seeded game")
    parser.add_argument("--seconds", type=int, default=15, help="per URL")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: it is fast)")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    out = ROOT / "reports" / f"saturate-{args.db}-{args.worker_class}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    args.processes, args.nginx = 1, False
    env = server_env(args, out)
    prepare(env, args.players, out)
    base = f"http://{env['GUNICORN_BIND']}"
    results = {}
    with Server(env, out):
        cookies, etag = log_in(base, env["LOAD_CODES_FILE"])
        for path, label, conditional in URLS:
            headers = ["-H", f"Cookie: {cookies}"]
            if conditional:
                headers += ["-H", f"If-None-Match: {etag}"]
            results[label] = wrk(args, base + path, headers)
            print(f"{label:10s} {results[label]:8.0f} req/s", flush=True)
    for label in ("me (304)", "me (200)"):
        print(f"{label} / ping: {results[label] / results['ping']:.0%}")
    (out / "saturate.json").write_text(json.dumps(results))


def log_in(base, codes_file):
    """A player's cookies (session, csrftoken) and the ETag of their first /api/me."""
    code = Path(codes_file).read_text().splitlines()[1].split(",")[1]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/")
    token = next(c.value for c in jar if c.name == "csrftoken")
    opener.open(
        urllib.request.Request(  # noqa: S310 -- our own server on 127.0.0.1
            base + "/api/login",
            data=json.dumps({"code": code}).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
    )
    etag = opener.open(base + "/api/me").headers["ETag"]
    return "; ".join(f"{c.name}={c.value}" for c in jar), etag


def wrk(args, url, headers):
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.seconds}s"]
    output = subprocess.run(
        [*command, *headers, url],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=lambda: os.nice(args.nice),
    ).stdout
    if "Non-2xx or 3xx responses" in output:
        sys.exit(f"{url}: errors during the run:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


if __name__ == "__main__":
    main()
