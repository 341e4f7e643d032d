"""What a poll costs: the 304 of an unchanged game, the 200 of a changed one, and the caches between."""

import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from game import polls, rules
from game.models import Player
from tests.conftest import forget_caches, forget_process_memory, fresh, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def polling(client, cast):
    """The victim's client, polled once: it holds the current ETag and the game's version is cached."""
    login(client, cast.victim)
    client.tag = client.get("/api/me")["ETag"]
    client.get("/api/me", HTTP_IF_NONE_MATCH=client.tag)
    return client


def test_a_304_reads_the_session_and_the_login_code_once_the_process_knows_the_versions(
    polling, django_assert_num_queries
):
    # Never the process's memory of a session: one ended in another process must end here too.
    with django_assert_num_queries(2):
        assert polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag).status_code == 304


@pytest.mark.parametrize("held", ["W/{tag}", '"other", {tag}', '"other", W/{tag}'])
def test_a_poll_gets_its_304_with_the_tag_as_proxies_and_browsers_send_it(polling, held):
    # nginx's gzip hands phones W/"..." for a compressed answer: If-None-Match compares weakly.
    assert polling.get("/api/me", HTTP_IF_NONE_MATCH=held.format(tag=polling.tag)).status_code == 304


@pytest.mark.parametrize("held", ['W/"other"', '"other"', "W/", "garbage", "*"])
def test_a_poll_with_another_tag_gets_the_json(polling, held):
    assert polling.get("/api/me", HTTP_IF_NONE_MATCH=held).status_code == 200


def test_a_first_304_in_a_process_reads_the_session_the_login_code_and_both_versions(
    polling, django_assert_num_queries
):
    forget_caches()
    with django_assert_num_queries(4):
        assert polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag).status_code == 304


def test_a_change_made_by_another_process_reaches_a_poll_within_a_second(polling, cast, monkeypatch):
    with transaction.atomic():  # committed elsewhere: this process's copies are not told
        rules.kill_declare(killer=cast.killer, actor="killer")
    cache.clear()  # the other process forgot the versions in the shared cache
    assert polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag).status_code == 304
    later = time.monotonic() + settings.LOCAL_VERSION_SECONDS
    monkeypatch.setattr(polls.time, "monotonic", lambda: later)
    assert polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag).status_code == 200


def test_a_200_costs_three_queries(polling, django_assert_num_queries):
    # The session, the player with their game, target and mission, and their newest notices. The
    # game's public facts (name, status, winner) and its open kills are cached for this version.
    with django_assert_num_queries(3):
        assert polling.get("/api/me").status_code == 200


def test_the_open_kills_are_read_once_per_version_for_everyone(client, cast, django_assert_num_queries):
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    killer = login(type(client)(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    assert killer.get("/api/me").json()["my_kill"]["id"] == kill.pk
    login(client, cast.victim)
    with django_assert_num_queries(3):
        assert client.get("/api/me").json()["kill_against_me"]["id"] == kill.pk


def test_a_kill_makes_the_next_poll_a_200_once_committed(polling, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rules.kill_declare(killer=cast.killer, actor="killer")
    changed = polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag)
    assert changed.status_code == 200
    assert changed.json()["kill_against_me"]["killer"] == cast.killer.name
    assert polling.get("/api/me", HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


def test_a_kill_changes_only_the_pages_it_changes(client, cast, django_capture_on_commit_callbacks):
    """At 5,000 players a kill must not turn every poll into a 200: only the killer's and victim's."""
    phones = {role: login(type(client)(), getattr(cast, role)) for role in ("killer", "victim", "bystander")}
    tags = {role: phone.get("/api/me")["ETag"] for role, phone in phones.items()}
    with django_capture_on_commit_callbacks(execute=True):
        rules.death_report(victim=cast.victim, actor="victim")
    status = {
        role: phone.get("/api/me", HTTP_IF_NONE_MATCH=tags[role]).status_code
        for role, phone in phones.items()
    }
    assert status == {"killer": 200, "victim": 200, "bystander": 304}


@pytest.mark.parametrize("mode", ["automatic", "victim"])
def test_a_rule_moves_the_version_once_and_stamps_whose_pages_it_changed(make_cast, mode):
    cast = make_cast(confirmation_mode=mode)
    before = fresh(cast.game).version

    kill = rules.kill_declare(killer=cast.killer, actor="killer")  # automatic: declared, confirmed, closed
    if mode == "victim":
        rules.kill_confirm(kill=kill, actor="victim")

    rules_run = 1 if mode == "automatic" else 2
    assert fresh(cast.game).version == before + rules_run
    stamped = set(cast.game.players.filter(version=before + rules_run).values_list("name", flat=True))
    assert stamped == {cast.killer.name, cast.victim.name}


def test_a_kill_elsewhere_costs_a_process_three_queries_besides_each_phones_session(
    client, make_cast, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Every kill moves the game's version, which each process must learn, but the players it leaves
    alone keep their 304 without a read of their own, from the database or the cache."""
    cast = make_cast(players=12)
    others = cast.game.players.exclude(pk__in=[cast.killer.pk, cast.victim.pk])
    phones = [login(type(client)(), player) for player in others]
    tags = [phone.get("/api/me")["ETag"] for phone in phones]
    for phone, tag in zip(phones, tags, strict=True):  # this process remembers their sessions
        assert phone.get("/api/me", HTTP_IF_NONE_MATCH=tag).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        rules.death_report(victim=cast.victim, actor="victim")
    cache.clear()  # nothing left in the cache either: as long after the kill

    # The game's version, its number of players (as many as the map has: none was deleted) and the
    # players stamped since the version the map is at; and each phone's session and login code.
    with django_assert_num_queries(3 + 2 * len(phones)):
        status = [
            phone.get("/api/me", HTTP_IF_NONE_MATCH=tag).status_code
            for phone, tag in zip(phones, tags, strict=True)
        ]
    assert status == [304] * len(phones)


def test_a_change_to_the_game_changes_every_page(client, cast, django_capture_on_commit_callbacks):
    phones = [login(type(client)(), player) for player in (cast.killer, cast.bystander)]
    tags = [phone.get("/api/me")["ETag"] for phone in phones]
    with django_capture_on_commit_callbacks(execute=True):
        rules.game_pause(game=cast.game, actor="gm")
    for phone, tag in zip(phones, tags, strict=True):
        changed = phone.get("/api/me", HTTP_IF_NONE_MATCH=tag)
        assert (changed.status_code, changed.json()["game"]["status"]) == (200, "paused")


def test_a_new_name_changes_the_pages_that_show_it(client, cast, django_capture_on_commit_callbacks):
    rules.kill_declare(killer=cast.hunter, actor="hunter")  # the killer sees the hunter's name
    phones = {role: login(type(client)(), getattr(cast, role)) for role in ("victim", "bystander", "killer")}
    tags = {role: phone.get("/api/me")["ETag"] for role, phone in phones.items()}
    with django_capture_on_commit_callbacks(execute=True):
        rules.player_update(player=cast.hunter, actor="gm", name="Renamed")
    status = {
        role: phone.get("/api/me", HTTP_IF_NONE_MATCH=tags[role]).status_code
        for role, phone in phones.items()
    }
    # The bystander hunts the hunter; the killer has the hunter's kill to answer; the victim neither.
    assert status == {"victim": 304, "bystander": 200, "killer": 200}


def test_the_version_is_forgotten_only_after_the_commit(polling, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        rules.kill_declare(killer=cast.killer, actor="killer")
        # Before the commit the old version is still the truth for other requests.
        assert polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag).status_code == 304
    assert callbacks
    for callback in callbacks:
        callback()
    assert polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag).status_code == 200


def test_a_304_sets_no_cookie(polling):
    assert "csrftoken" in polling.get("/api/me").cookies  # a 200 makes sure the client has one
    assert not polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag).cookies


def test_a_poll_from_an_older_session_without_the_game_loads_the_player(client, cast):
    login(client, cast.victim)
    tag = client.get("/api/me")["ETag"]
    session = client.session
    del session["game_id"]
    session.save()
    assert client.get("/api/me", HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_a_logged_out_poll_is_401_whatever_its_etag(polling):
    polling.post("/api/logout", content_type="application/json")
    assert polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag).status_code == 401


def test_a_look_at_the_leaderboard_reads_the_session_and_the_login_code_alone(
    client, cast, django_assert_num_queries
):
    """Each kill makes every player's next look a 200: it loads no player, and its JSON, built once
    per version for everyone, comes from this process's memory."""
    login(client, cast.victim).get("/api/leaderboard")
    other = login(type(client)(HTTP_ACCEPT_LANGUAGE="en"), cast.bystander)  # the same language
    # The session (in the database with the default settings) and the player's login code.
    with django_assert_num_queries(2):
        assert other.get("/api/leaderboard").status_code == 200


def test_a_process_reads_the_leaderboard_another_built_from_the_cache(
    client, cast, django_assert_num_queries
):
    login(client, cast.victim)
    built = client.get("/api/leaderboard")
    forget_process_memory()  # another process: the same cache, nothing in memory
    # The session and the map of the game's player versions (the game's version is in the cache);
    # no ranking is built.
    with django_assert_num_queries(2):
        again = client.get("/api/leaderboard")
    assert (again.content, again["ETag"]) == (built.content, built["ETag"])


def test_the_leaderboard_changes_with_a_kill(client, cast, django_capture_on_commit_callbacks):
    login(client, cast.bystander)
    before = client.get("/api/leaderboard")
    with django_capture_on_commit_callbacks(execute=True):
        rules.death_report(victim=cast.victim, actor="victim")
    after = client.get("/api/leaderboard", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert [p["kills"] for p in before.json()["players"]] == [0, 0, 0, 0]
    assert after.json()["players"][0] == {**after.json()["players"][0], "name": cast.killer.name, "kills": 1}
    assert after.json()["game"]["alive"] == 3
    assert client.get("/api/leaderboard", HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_a_deleted_player_leaves_the_leaderboard_and_their_session_sees_no_more(
    client, cast, django_capture_on_commit_callbacks
):
    """Players are deleted from finished games (or games in setup): the others' leaderboard loses
    them, and the deleted player's session, which this process remembers, gets a 401."""
    with django_capture_on_commit_callbacks(execute=True):
        rules.game_finish(game=cast.game, actor="gm")
    bystander = login(client, cast.bystander)
    victim = login(type(client)(), cast.victim)
    board = bystander.get("/api/leaderboard")
    held = {path: victim.get(path)["ETag"] for path in ("/api/me", "/api/leaderboard")}
    assert victim.get("/api/me", HTTP_IF_NONE_MATCH=held["/api/me"]).status_code == 304

    with django_capture_on_commit_callbacks(execute=True):
        rules.player_delete(player=cast.victim, actor="gm")

    after = bystander.get("/api/leaderboard", HTTP_IF_NONE_MATCH=board["ETag"])
    assert after.status_code == 200
    assert cast.victim.name not in [row["name"] for row in after.json()["players"]]
    assert after.json()["total"] == board.json()["total"] - 1
    for path, tag in held.items():
        assert victim.get(path, HTTP_IF_NONE_MATCH=tag).status_code == 401
        assert victim.get(path).status_code == 401


def test_a_304_through_django_reads_the_login_code_alone_with_sessions_in_the_cache(
    client, cast, settings, django_assert_num_queries
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    login(client, cast.victim)
    tag = client.get("/api/me")["ETag"]
    client.get("/api/me", HTTP_IF_NONE_MATCH=tag)
    with django_assert_num_queries(1):
        assert client.get("/api/me", HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_answers_are_never_stored_and_a_304_has_no_body_to_store(polling):
    assert "no-store" in polling.get("/api/me")["Cache-Control"]
    assert "no-store" in polling.post("/api/me", content_type="application/json")["Cache-Control"]  # a 405
    not_modified = polling.get("/api/me", HTTP_IF_NONE_MATCH=polling.tag)
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert not_modified["Cache-Control"] == "private, no-cache"


def test_a_read_that_finishes_late_never_takes_the_map_of_versions_back(
    cast, django_capture_on_commit_callbacks
):
    """Under gevent on PostgreSQL two polls of a worker may bring its map up to date at once, the
    one that read first finishing last: the newer versions, and the newer map, must stay."""
    game_id, killer_id = cast.game.pk, cast.killer.pk
    polls.session_etag("me", killer_id, game_id)  # this worker's map
    old_at, versions = polls.player_versions[game_id]
    old_version = versions[killer_id]
    with django_capture_on_commit_callbacks(execute=True):
        rules.kill_declare(killer=cast.killer, actor="killer")
    new_etag = polls.session_etag("me", killer_id, game_id)  # the first poll, up to date
    new_at = polls.player_versions[game_id][0]
    assert new_at > old_at

    # The other poll read the game's old version and the killer's old row, and finishes now.
    Player.objects.filter(pk=killer_id).update(version=old_version)
    polls._bring_up_to_date(game_id, old_at, old_at, versions)

    assert polls.player_versions[game_id][0] == new_at
    assert polls.session_etag("me", killer_id, game_id) == new_etag
