"""Locust load test: players polling their page, and a few game masters browsing the admin.

Run by tests/load/run.py (`make loadtest`), which seeds the game and passes the codes file:

    LOAD_CODES_FILE=var/load/codes.csv locust -f tests/load/locustfile.py --host http://127.0.0.1:8100

A player logs in once with their code, opens the dashboard, then polls `GET /api/me` every ~5 s with
the last ETag (as game/static/game/live.js does), looks at the leaderboard about once a minute, and
now and then declares a kill, answers a kill against them or reports their own death.

Errors are any 5xx and any 4xx we did not expect. A 409 is the rules refusing an action that went
stale between the poll and the click (the target died meanwhile): expected, counted apart as
"stale". The counters are written as JSON to LOAD_COUNTERS_FILE when the run ends; unlike Locust's
statistics they are not reset when all users have started, so errors during the ramp count too.
"""

import csv
import itertools
import json
import os
import random
import time
from collections import Counter

import gevent
from locust import FastHttpUser, between, events, task
from locust.runners import MasterRunner, WorkerRunner

CODES_FILE = os.environ.get("LOAD_CODES_FILE", "var/load/codes.csv")
COUNTERS_FILE = os.environ.get("LOAD_COUNTERS_FILE")
GM_USERNAME = os.environ.get("LOAD_GM_USERNAME", "gm")
GM_PASSWORD = os.environ.get("LOAD_GM_PASSWORD", "killer-demo")
# Statistics start once every player has logged in and opened the dashboard, plus this long for
# their first polls; then the step runs LOAD_MEASURE_SECONDS (0: until Locust's --run-time). At the
# end of a big ramp the last logins queue for seconds behind the polls of everyone already in: a
# fixed wait after the last user started let that backlog into the measured seconds.
SETTLE_SECONDS = float(os.environ.get("LOAD_SETTLE_SECONDS", 5))
MEASURE_SECONDS = float(os.environ.get("LOAD_MEASURE_SECONDS", 0))
# Written when the statistics start, with the time: run_step() (measure.py) waits for it, and it finds
# the measured seconds in nginx's access log.
SETTLED_FILE = os.environ.get("LOAD_SETTLED_FILE")
# Actions (declare, confirm, death) in the whole game per minute, whatever its size: about one kill
# a minute, a busy game. Each one changes the pages of the two players in it (their next poll is a
# 200) and the leaderboard of everyone (their next look at it is a 200).
ACTIONS_PER_MINUTE = float(os.environ.get("LOAD_ACTIONS_PER_MINUTE", 2))
STEP_PLAYERS = int(os.environ.get("LOAD_STEP_PLAYERS", 100))
ACTION_CHANCE = min(1.0, ACTIONS_PER_MINUTE / 60 * 5 / STEP_PLAYERS)  # per poll of one player
LEADERBOARD_CHANCE = 1 / 12  # about once a minute

counters = Counter()


def read_players():
    with open(CODES_FILE, newline="") as f:
        return list(csv.DictReader(f))


PLAYERS = read_players()
DEATH_CODES = {row["name"]: row["death_code"] for row in PLAYERS}
# Each of the LOAD_PROCESSES Locust processes takes every n-th player from its own offset (its worker
# index), so two simulated users never share a player.
PROCESSES = int(os.environ.get("LOAD_PROCESSES", 1))
_next_player = itertools.count(0)


def count(kind):
    counters[kind] += 1


class Player(FastHttpUser):
    wait_time = between(4, 6)  # the page's poll: 5 s with jitter
    # A request still unanswered after this is an error (status 0), not a request lost at the end.
    network_timeout = connection_timeout = 10.0

    def on_start(self):
        self.etags = {}
        self.me = None
        row = PLAYERS[self._pick() % len(PLAYERS)]
        self.get_page("/")  # the login page, which sets the csrftoken cookie
        if self.csrf_token() is None:
            return
        with self.client.post(
            "/api/login",
            json={"code": row["login_code"]},
            headers={"X-CSRFToken": self.csrf_token()},
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                self.fail(response, "login")
                return
            self.me = response.json()
        self.get_page("/me/")

    def _pick(self):
        return next(_next_player) * PROCESSES + max(self.environment.runner.worker_index, 0)

    @task
    def poll(self):
        if self.me is None:
            return
        me = self.get_json("/api/me")
        if me is not None:
            self.me = me
        if random.random() < LEADERBOARD_CHANCE:
            # Its JSON is not read: a phone parses it on its own CPU, and Locust's is the server's.
            self.get_json("/api/leaderboard", parse=False)
        if random.random() < ACTION_CHANCE:
            self.act()

    def act(self):
        me = self.me
        if me["game"]["status"] != "running" or not me["player"]["alive"]:
            return
        against = me["kill_against_me"]
        if against and against["status"] == "pending":
            self.post(f"/api/kills/{against['id']}/confirm", {}, "/api/kills/[id]/confirm")
        elif me["my_kill"]:
            return  # waiting for the victim
        elif random.random() < 0.1:
            self.post("/api/death", {}, "/api/death")
        elif random.random() < 0.5 and me["target"]:
            code = DEATH_CODES.get(me["target"]["name"], "")
            self.post("/api/kills", {"death_code": code}, "/api/kills (death code)")
        elif me["target"]:
            self.post("/api/kills", {"target": str(me["target"]["id"])}, "/api/kills (declare)")

    def get_json(self, path, parse=True):
        """GET with If-None-Match; the new JSON (if `parse`), or None on a 304 or an error."""
        headers = {"If-None-Match": self.etags[path]} if path in self.etags else {}
        with self.client.get(path, headers=headers, catch_response=True) as response:
            if response.status_code == 304:
                count("not_modified")
                return None
            if response.status_code != 200:
                self.fail(response, path)
                return None
            self.etags[path] = response.headers.get("ETag")
            return response.json() if parse else None

    def get_page(self, path):
        with self.client.get(path, catch_response=True) as response:
            if response.status_code != 200:
                self.fail(response, path)

    def post(self, path, body, name):
        headers = {"X-CSRFToken": self.csrf_token()}
        with self.client.post(path, json=body, headers=headers, name=name, catch_response=True) as response:
            if response.status_code in (200, 201):
                count("actions")
            elif response.status_code == 409:
                count("stale")
                response.success()
            else:
                self.fail(response, name)

    def csrf_token(self):
        return next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), None)

    def fail(self, response, what):
        count("errors")
        response.failure(f"{what}: HTTP {response.status_code}")


class GameMaster(FastHttpUser):
    """A game master with the admin's lists open, clicking through them every ~10 s."""

    fixed_count = int(os.environ.get("LOAD_GAME_MASTERS", 2))
    wait_time = between(8, 12)
    network_timeout = connection_timeout = 10.0
    pages = ["/admin/game/player/", "/admin/game/kill/", "/admin/game/event/", "/admin/game/game/"]

    def on_start(self):
        self.client.get("/admin/login/")
        token = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")
        with self.client.post(
            "/admin/login/?next=/admin/",
            data={"username": GM_USERNAME, "password": GM_PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/admin/login/"},
            allow_redirects=False,
            name="/admin/login/",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                count("errors")
                response.failure(f"admin login: HTTP {response.status_code}")

    @task
    def browse(self):
        page = random.choice(self.pages)
        with self.client.get(page, catch_response=True) as response:
            if response.status_code != 200:
                count("errors")
                response.failure(f"{page}: HTTP {response.status_code}")


# --- Counters across Locust processes -------------------------------------------------------------


@events.init.add_listener
def _measure_once_settled(environment, **kwargs):
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message("reset_stats", lambda environment, msg, **kw: environment.stats.reset_all())
    elif runner is not None:  # the master, or the only process
        environment.events.spawning_complete.add_listener(lambda **kw: gevent.spawn(_settle, environment))


def _settle(environment):
    """Waits for every player to be in (from the statistics, which the master gathers from the
    processes), then starts the statistics afresh and, with MEASURE_SECONDS, ends the step that
    much later."""
    stats, runner = environment.stats, environment.runner
    while True:
        home, login = stats.get("/", "GET"), stats.get("/api/login", "POST")
        dashboards = stats.get("/me/", "GET").num_requests
        tried = login.num_requests + home.num_failures  # without a CSRF cookie a player gives up
        if tried >= STEP_PLAYERS and dashboards >= login.num_requests - login.num_failures:
            break
        gevent.sleep(1)
    gevent.sleep(SETTLE_SECONDS)
    stats.reset_all()
    if isinstance(runner, MasterRunner):
        runner.send_message("reset_stats")  # what the processes have not reported yet
    if SETTLED_FILE:
        with open(SETTLED_FILE, "w") as f:
            f.write(f"{time.time()}\n")
    if MEASURE_SECONDS:
        gevent.spawn_later(MEASURE_SECONDS, runner.quit)


@events.report_to_master.add_listener
def _send_counters(client_id, data, **kwargs):
    data["killer_counters"] = dict(counters)
    counters.clear()


@events.worker_report.add_listener
def _add_counters(client_id, data, **kwargs):
    counters.update(data.get("killer_counters", {}))


@events.quitting.add_listener
def _write_counters(environment, **kwargs):
    if COUNTERS_FILE and not isinstance(environment.runner, WorkerRunner):
        with open(COUNTERS_FILE, "w") as f:
            json.dump(dict(counters), f)


@events.init.add_listener
def _check_codes(environment, **kwargs):
    if not PLAYERS and not isinstance(environment.runner, MasterRunner):
        raise SystemExit(f"No players in {CODES_FILE}: run tests/load/run.py, which seeds them.")
