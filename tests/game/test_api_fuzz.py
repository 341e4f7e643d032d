"""Random requests against the JSON API: random bodies (any JSON value, unknown fields, wrong types,
huge strings, bytes that are not JSON) on random endpoints, from the cast's phones in random order.

Whatever comes in, the answer is never a 500, every error is a JSON `{"error": ...}`, and after every
request the alive players form one cycle and kill counts match the confirmed kills."""

import json
import os
import random
from collections import Counter

from django.test import Client, TestCase
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from game import rules
from game.models import Kill, Player
from tests.conftest import chain_from, make_game

EXAMPLES = int(os.environ.get("KILLER_FUZZ_EXAMPLES", 20))

ENDPOINTS = [
    ("POST", "/api/login"),
    ("POST", "/api/logout"),
    ("GET", "/api/me"),
    ("GET", "/api/leaderboard"),
    ("GET", "/api/feed"),
    ("POST", "/api/kills"),
    ("POST", "/api/kills/{kill}/confirm"),
    ("POST", "/api/kills/{kill}/deny"),
    ("POST", "/api/death"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
field_names = st.sampled_from(["code", "death_code", "id", "victim", "__proto__", ""]) | st.text(max_size=12)
texts = st.text(max_size=40) | st.sampled_from(["", " ", "\x00", "\u202e", "<script>alert(1)</script>"])
huge = st.integers(min_value=90, max_value=6000).map(lambda n: "A" * n)
# Bodies of every size, around Django's limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB) too: a 413 past it.
body_sizes = st.sampled_from([0, 1, 2, 100, 10_000, 1_000_000, 2_621_439, 2_621_440, 2_621_441, 3_000_000])
# Unicode JSON may not carry: lone surrogates (escaped), and bytes that are no UTF-8 at all.
bad_unicode = st.sampled_from(
    [
        b'{"code": "AB\\ud800CD"}',
        b'{"death_code": "\\udfff"}',
        b'{"\\ud800": "x"}',
        b'{"code": "\xff\xfe"}',
        b'{"code": "\xc3("}',
        b"\xed\xa0\x80",
    ]
)


class ApiMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        rules.rng = random.Random(0)
        self.game = make_game(players=4, start=True)
        self.players = chain_from(self.game.players.order_by("pk").first())
        self.phones = {}
        for player in self.players:
            phone = Client(HTTP_ACCEPT_LANGUAGE="en")
            phone.post("/api/login", {"code": player.login_code}, content_type="application/json")
            self.phones[player.pk] = phone

    def body(self, data, player):
        target = Player.objects.filter(pk=player.target_id).first()
        choice = data.draw(st.integers(0, 9))
        if choice == 0:
            return b""
        if choice == 1:
            return data.draw(st.binary(max_size=60))
        if choice == 2:
            return data.draw(json_values)
        if choice == 3:
            return data.draw(st.dictionaries(field_names, json_values, max_size=3))
        if choice == 4:
            return {data.draw(st.sampled_from(["code", "death_code"])): data.draw(texts | huge)}
        if choice == 5:
            # A right death code (when there is a target) or login code: requests that change the game.
            return {"death_code": target.death_code} if target else {}
        if choice == 6:
            return {"code": data.draw(st.sampled_from(self.players)).login_code}
        if choice == 7:
            size = data.draw(body_sizes)
            return b'{"code": "' + b"A" * max(0, size - 12) + b'"}'
        if choice == 8:
            return data.draw(bad_unicode)
        return {}

    @rule(data=st.data())
    def request(self, data):
        player = data.draw(st.sampled_from(self.players))
        phone = self.phones[player.pk]
        method, path = data.draw(st.sampled_from(ENDPOINTS))
        if "{kill}" in path:
            kills = list(Kill.objects.filter(game=self.game).values_list("pk", flat=True))
            kill = data.draw(
                st.sampled_from(kills) if kills and data.draw(st.booleans()) else st.integers(0, 10**12)
            )
            path = path.format(kill=kill)
        if method == "GET":
            response = phone.get(path)
        else:
            body = self.body(data, player)
            if not isinstance(body, bytes):
                body = json.dumps(body)
            content_type = data.draw(st.sampled_from(["application/json", "text/plain", "application/json"]))
            response = phone.generic("POST", path, body, content_type=content_type)
        assert response.status_code < 500, (method, path, response.content[:200])
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/json"
            assert set(response.json()) == {"error"}

    @invariant()
    def the_chain_is_one_cycle(self):
        self.game.refresh_from_db()
        assert rules.chain_problems(self.game) == []

    @invariant()
    def kill_counts_match_confirmed_kills(self):
        confirmed = Counter(Kill.objects.confirmed().filter(game=self.game).values_list("killer", flat=True))
        for pk, kill_count in self.game.players.values_list("pk", "kill_count"):
            assert kill_count == confirmed[pk]


class TestApiFuzz(TestCase):
    def tearDown(self):
        rules.rng = random.SystemRandom()

    def test_random_requests_never_break_the_api_or_the_game(self):
        run_state_machine_as_test(
            ApiMachine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
