"""Two servers behind one load balancer: what one does, the other sees (docs/configuration.md)."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.scale.conftest import Browser

pytestmark = pytest.mark.scale


def test_a_session_opened_on_a_works_on_b(servers, codes):
    phone = Browser()
    me = phone.log_in(servers["A"], codes[0]["login_code"])
    status, _, me_on_b = phone.request(servers["B"] + "/api/me")
    assert status == 200
    assert me_on_b["player"]["id"] == me["player"]["id"]


def test_a_logout_on_b_ends_the_session_on_a(servers, codes):
    phone = Browser()
    phone.log_in(servers["A"], codes[1]["login_code"])
    assert phone.request(servers["A"] + "/api/me")[0] == 200
    assert phone.request(servers["B"] + "/api/logout", body={})[0] == 200
    assert phone.request(servers["A"] + "/api/me")[0] == 401


def test_a_kill_through_a_is_seen_within_a_second_by_a_poll_through_b(servers, codes):
    """The versions are cached in the shared cache: A forgets them there when its rule commits, and
    B asks the cache again once its own copy is LOCAL_VERSION_SECONDS (1 s) old.

    With a cache per server B would answer 304 for VERSION_CACHE_SECONDS (60 s here).
    """
    watcher, victim = Browser(), Browser()
    watcher.log_in(servers["B"], codes[2]["login_code"])
    victim.log_in(servers["B"], codes[3]["login_code"])
    tags = {}
    for phone, url in ((watcher, "/api/leaderboard"), (victim, "/api/me")):
        tags[phone] = phone.request(servers["B"] + url)[1]["ETag"]
        assert phone.request(servers["B"] + url, headers={"If-None-Match": tags[phone]})[0] == 304

    assert victim.request(servers["A"] + "/api/death", body={})[0] == 201
    time.sleep(1.1)

    status, _, me = victim.request(servers["B"] + "/api/me", headers={"If-None-Match": tags[victim]})
    assert (status, me["player"]["alive"]) == (200, False)
    status, _, board = watcher.request(
        servers["B"] + "/api/leaderboard", headers={"If-None-Match": tags[watcher]}
    )
    assert (status, board["game"]["alive"]) == (200, len(codes) - 1)


def test_concurrent_kills_through_both_servers_keep_the_chain_whole(servers, codes, manage):
    death_codes = {row["name"]: row["death_code"] for row in codes}
    phones = []
    for i, row in enumerate(codes[4:]):
        phone = Browser()
        phone.server = servers["AB"[i % 2]]
        phone.log_in(servers["BA"[i % 2]], row["login_code"])  # logged in on the other server
        phones.append(phone)

    def kill(phone):
        status, _, me = phone.request(phone.server + "/api/me")
        if status != 200 or not me["player"]["alive"] or not me["target"]:
            return status
        code = death_codes[me["target"]["name"]]
        return phone.request(phone.server + "/api/kills", body={"death_code": code})[0]

    statuses = []
    with ThreadPoolExecutor(max_workers=len(phones)) as pool:
        for _ in range(2):  # everyone at once, twice: crossing kills on both servers
            statuses += list(pool.map(kill, phones))

    assert 201 in statuses
    # 409: the killer died first; 400: their target changed after they read it (a stale death code).
    assert set(statuses) <= {200, 201, 400, 409}, statuses
    state = json.loads(
        manage(
            "import json; from game import rules; from game.models import Game, Kill;"
            "game = Game.objects.get();"
            "print(json.dumps({'problems': rules.chain_problems(game),"
            " 'status': game.status,"
            " 'alive': game.players.alive().count(),"
            " 'confirmed': Kill.objects.filter(status='confirmed').count()}))"
        )
    )
    assert state["problems"] == []
    assert state["alive"] + state["confirmed"] == len(codes)


def test_a_value_cached_by_one_process_is_read_by_another(servers, manage):
    """The servers' cache is one Redis: what sessions and rate limits need to hold across servers."""
    manage("from django.core.cache import cache; cache.set('scale-test', 'from A', 60)")
    assert manage("from django.core.cache import cache; print(cache.get('scale-test'))") == "from A"
    backend = manage("from django.core.cache import caches; print(type(caches['default']).__name__)")
    assert backend == "RedisCache"


def test_login_rate_limits_hold_across_servers(servers):
    """Once the login rate limit exists (security branch): blocked on A means blocked on B."""
    phone = Browser()
    phone.request(servers["A"] + "/")
    for _ in range(100):
        status = phone.request(servers["A"] + "/api/login", body={"code": "WRONG-CODE"})[0]
        if status == 429:
            break
    else:
        pytest.skip("no rate limit on /api/login on this branch (100 wrong codes all answered)")
    assert phone.request(servers["B"] + "/api/login", body={"code": "WRONG-CODE"})[0] == 429
