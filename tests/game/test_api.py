import pytest
from django.test import Client

from game import rules
from game.models import Kill
from tests.conftest import fresh, login

pytestmark = pytest.mark.django_db


def post(client, path, body=None):
    return client.post(path, body or {}, content_type="application/json")


def test_login_with_a_code_opens_a_session(client, cast):
    response = post(client, "/api/login", {"code": cast.killer.login_code.lower()})
    assert response.status_code == 200
    assert response.json()["player"]["name"] == cast.killer.name
    assert client.get("/api/me").status_code == 200


def test_login_changes_the_session_key(client, cast):
    planted = client.session
    planted["planted"] = True
    planted.save()
    login(client, cast.killer)
    assert client.cookies["sessionid"].value != planted.session_key
    assert "planted" in client.session


def test_an_unknown_code_is_refused_with_a_json_error(client, cast):
    response = post(client, "/api/login", {"code": "NOT-A-CODE"})
    assert response.status_code == 400
    assert response.json() == {"error": "Unknown code."}


def test_errors_are_in_french_by_default(cast):
    response = post(Client(), "/api/login", {"code": "nope"})
    assert response.json() == {"error": "Code inconnu."}


def test_logout_ends_the_session(client, cast):
    login(client, cast.killer)
    assert post(client, "/api/logout").status_code == 200
    assert client.get("/api/me").status_code == 401


def test_me_is_401_when_logged_out_and_sets_the_csrf_cookie(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert "error" in response.json()
    assert "csrftoken" in response.cookies


def test_me_shows_my_target_mission_and_death_code(client, cast):
    me = login(client, cast.killer).get("/api/me").json()
    assert me["target"]["name"] == cast.victim.name
    assert me["mission"] == cast.killer.mission.text
    assert me["player"]["death_code"].replace("-", "") == cast.killer.death_code
    assert me["game"]["status"] == "running"


def test_me_answers_304_until_the_game_changes(client, cast, django_capture_on_commit_callbacks):
    login(client, cast.victim)
    first = client.get("/api/me")
    tag = first["ETag"]
    assert client.get("/api/me", HTTP_IF_NONE_MATCH=tag).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        rules.kill_declare(killer=cast.killer, actor="killer")
    changed = client.get("/api/me", HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert changed.json()["kill_against_me"]["killer"] == cast.killer.name


def test_declare_then_victim_confirms(cast):
    killer, victim = (
        login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer),
        login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.victim),
    )
    declared = post(killer, "/api/kills", {"target": str(cast.victim.pk)})
    assert declared.status_code == 201 and declared.json()["status"] == "pending"
    kill_id = victim.get("/api/me").json()["kill_against_me"]["id"]
    confirmed = post(victim, f"/api/kills/{kill_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    me = killer.get("/api/me").json()
    assert me["target"]["name"] == cast.bystander.name
    assert me["player"]["kills"] == 1


def test_victim_denies(cast):
    post(login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer), "/api/kills", {"target": str(cast.victim.pk)})
    kill = Kill.objects.get()
    response = post(login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.victim), f"/api/kills/{kill.pk}/deny")
    assert response.json()["status"] == "denied"
    assert fresh(cast.victim).alive


def test_only_the_victim_can_answer_a_kill(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="killer")
    for player in (cast.killer, cast.bystander, cast.hunter):
        client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), player)
        for action in ("confirm", "deny"):
            assert post(client, f"/api/kills/{kill.pk}/{action}").status_code == 404
    assert fresh(kill).status == Kill.Status.PENDING


def test_kill_with_the_death_code(client, cast):
    response = post(login(client, cast.killer), "/api/kills", {"death_code": cast.victim.death_code})
    assert response.status_code == 201 and response.json()["status"] == "confirmed"
    assert not fresh(cast.victim).alive


def test_a_wrong_death_code_is_a_400_and_changes_nothing(client, cast):
    response = post(login(client, cast.killer), "/api/kills", {"death_code": cast.bystander.death_code})
    assert response.status_code == 400
    assert response.json() == {"error": "That is not your target's death code."}
    assert fresh(cast.bystander).alive and fresh(cast.victim).alive


def test_report_my_own_death(client, cast):
    response = post(login(client, cast.victim), "/api/death")
    assert response.status_code == 201
    assert fresh(cast.killer).kill_count == 1


def test_refused_rules_answer_409_with_the_reason(client, cast):
    rules.game_pause(game=cast.game, actor="gm")
    response = post(login(client, cast.killer), "/api/kills", {"target": str(cast.victim.pk)})
    assert response.status_code == 409
    assert "paused" in response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"death_code": 12}',
        b'{"surprise": "field"}',
        b'{"death_code": "' + b"A" * 200 + b'"}',
    ],
)
def test_bad_bodies_are_400_and_change_nothing(client, cast, body):
    login(client, cast.killer)
    response = client.post("/api/kills", body, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not Kill.objects.exists()


def test_wrong_method_is_405(client, cast):
    login(client, cast.killer)
    assert client.get("/api/kills").status_code == 405
    assert post(client, "/api/me").status_code == 405


def test_posts_need_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    token = client.get("/api/me").cookies["csrftoken"].value
    refused = post(client, "/api/login", {"code": cast.killer.login_code})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    accepted = client.post(
        "/api/login",
        {"code": cast.killer.login_code},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 200


def test_leaderboard_ranks_by_kills_and_feed_names_killers(client, cast):
    rules.death_report(victim=cast.victim, actor="v")
    login(client, cast.bystander)
    board = client.get("/api/leaderboard").json()
    assert board["players"][0] == {
        "name": cast.killer.name,
        "group": "",
        "alive": True,
        "kills": 1,
        "winner": False,
        "rank": 1,
    }
    feed = client.get("/api/feed").json()
    assert [(k["victim"], k["killer"]) for k in feed["kills"]] == [(cast.victim.name, cast.killer.name)]


def test_feed_keeps_killers_secret_when_the_game_says_so(client, make_cast):
    cast = make_cast(feed_names_killers=False)
    rules.death_report(victim=cast.victim, actor="v")
    feed = login(client, cast.bystander).get("/api/feed").json()
    assert feed["kills"][0]["killer"] is None


def test_the_winner_comes_first_on_the_final_leaderboard(client, cast):
    rules.death_report(victim=cast.hunter, actor="h")  # bystander: 1 kill
    rules.death_report(victim=cast.killer, actor="k")  # bystander: 2 kills
    rules.death_report(victim=cast.bystander, actor="b")  # victim wins with 1 kill
    board = login(client, cast.killer).get("/api/leaderboard").json()
    assert board["game"]["status"] == "finished"
    assert board["game"]["winner"] == cast.victim.name
    assert [row["name"] for row in board["players"]][:2] == [cast.victim.name, cast.bystander.name]


def test_health_answers_ok(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.content == b"ok"
