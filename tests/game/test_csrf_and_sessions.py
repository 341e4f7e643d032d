"""Every POST needs the CSRF token, on the pages, in the API and in the admin; sessions start fresh at
login and end at logout."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from game import rules
from game.models import Event, Kill
from tests.conftest import login

pytestmark = pytest.mark.django_db


def all_patterns(resolver=None, prefix=""):
    """Every URL pattern of the project, as (route, pattern)."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def test_no_view_is_exempt_from_csrf():
    exempt = [route for route, pattern in all_patterns() if getattr(pattern.callback, "csrf_exempt", False)]
    assert exempt == []


def fill(route, ids):
    """A concrete URL for a route: each <converter:name> replaced by a sample value."""
    import re

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: str(ids.get(m.group(2), "1")), route).lstrip(
        "^"
    ).rstrip("$")


@pytest.fixture
def setting(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="test")
    return cast, kill


def test_every_player_and_api_url_refuses_a_post_without_the_token(setting):
    cast, kill = setting
    routes = [route for route, _ in all_patterns() if not route.startswith(("admin/", "^admin"))]
    assert len(routes) > 20
    for player in (cast.killer, cast.victim):
        client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
        client.get("/")
        token = client.cookies["csrftoken"].value
        assert client.post("/", {"code": player.login_code, "csrfmiddlewaretoken": token}).status_code == 302
        token = client.cookies["csrftoken"].value  # a new one at login
        events = Event.objects.count()
        ids = {"kill_id": kill.pk, "code": player.login_code}
        for route in routes:
            url = fill(route, ids)
            for body in ({}, {"death_code": cast.victim.death_code, "code": player.login_code}):
                response = client.post(url, body)
                assert response.status_code == 403, url
                json_response = client.post(url, body, content_type="application/json")
                assert json_response.status_code == 403, url
                if url.startswith("/api/"):
                    assert "CSRF" in json_response.json()["error"]
        assert Event.objects.count() == events
        assert Kill.objects.get(pk=kill.pk).status == Kill.Status.PENDING
        # The same session, with the token, still works: the 403s were the token's doing.
        logout = client.post("/api/logout", content_type="application/json", HTTP_X_CSRFTOKEN=token)
        assert logout.status_code == 200


def test_every_admin_url_refuses_a_post_without_the_token(setting, game_master):
    cast, kill = setting
    client = Client(enforce_csrf_checks=True)
    client.force_login(game_master)
    urls = [
        reverse("admin:login"),
        reverse("admin:logout"),
        reverse("admin:game_game_add"),
        reverse("admin:game_player_add"),
        reverse("admin:game_game_change", args=[cast.game.pk]),
        reverse("admin:game_game_options", args=[cast.game.pk]),
        reverse("admin:game_game_import", args=[cast.game.pk]),
        reverse("admin:game_player_revive", args=[cast.victim.pk]),
        reverse("admin:game_player_drop_out", args=[cast.victim.pk]),
        reverse("admin:game_player_new_codes", args=[cast.victim.pk]),
        reverse("admin:game_player_force_kill", args=[cast.victim.pk]),
        reverse("admin:game_kill_confirm", args=[kill.pk]),
        reverse("admin:game_kill_reject", args=[kill.pk]),
        reverse("admin:game_kill_undo", args=[kill.pk]),
        reverse("admin:game_player_changelist"),
        reverse("admin:password_change"),
    ] + [
        reverse("admin:game_game_action", args=[cast.game.pk, action])
        for action in ("start", "pause", "resume", "finish", "reshuffle", "repair")
    ]
    events = Event.objects.count()
    for url in urls:
        response = client.post(
            url, {"reason": "x", "name": "Forged", "game": cast.game.pk, "csv_text": "name\nX"}
        )
        assert response.status_code == 403, url
    assert Event.objects.count() == events
    assert not cast.game.players.filter(name__in=["Forged", "X"]).exists()


def test_the_page_login_gives_a_new_session_key(cast):
    client = Client()
    planted = client.session
    planted["planted"] = True
    planted.save()
    client.post("/", {"code": cast.killer.login_code})
    assert client.cookies["sessionid"].value != planted.session_key
    assert client.get("/me/").status_code == 200


def test_a_planted_session_is_deleted_at_login(cast):
    client = Client()
    planted = client.session
    planted.save()
    client.post("/", {"code": cast.killer.login_code})
    assert client.cookies["sessionid"].value != planted.session_key
    assert not type(planted)().exists(planted.session_key)


def test_a_made_up_session_key_is_not_taken_at_login(cast):
    client = Client()
    client.cookies["sessionid"] = "x" * 32
    client.post("/", {"code": cast.killer.login_code})
    assert client.cookies["sessionid"].value != "x" * 32
    assert client.get("/api/me").status_code == 200


def test_logout_ends_the_session_for_good(cast):
    for logout in ("/logout/", "/api/logout"):
        client = Client()
        client.post("/", {"code": cast.killer.login_code})
        stolen = client.cookies["sessionid"].value
        assert client.post(logout, content_type="application/json").status_code in (200, 302)
        replay = Client()
        replay.cookies["sessionid"] = stolen
        assert replay.get("/api/me").status_code == 401, logout
        assert replay.get("/me/").status_code == 302, logout


def test_new_codes_from_a_game_master_lock_out_a_stolen_session_card(cast):
    old_code = cast.killer.login_code
    rules.player_new_codes(player=cast.killer, actor="gm", death=False)
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/login", {"code": old_code}, content_type="application/json"
    )
    assert response.status_code == 400


def test_a_new_login_code_ends_the_sessions_opened_with_the_old_one(client, cast):
    """The finder of a lost card who logged in with it is out once a game master gives new codes."""
    login(client, cast.killer)
    tag = client.get("/api/me")["ETag"]
    rules.player_new_codes(player=cast.killer, actor="gm", death=False)

    assert client.get("/api/me", HTTP_IF_NONE_MATCH=tag).status_code == 401
    assert client.get("/me/").status_code == 302
    assert client.get("/api/leaderboard").status_code == 401  # the session itself is gone
    cast.killer.refresh_from_db()
    assert login(Client(), cast.killer).get("/api/me").status_code == 200  # the new code works


def test_a_new_death_code_alone_keeps_the_player_logged_in(client, cast):
    login(client, cast.killer)
    rules.player_new_codes(player=cast.killer, actor="gm", login=False)
    assert client.get("/api/me").status_code == 200


def test_a_session_without_the_code_fingerprint_is_ended(client, cast):
    """A session that names a player but was not opened with their code (made up, or from before
    sessions held the fingerprint) is not a login."""
    login(client, cast.killer)
    session = client.session
    del session["code_hash"]
    session.save()
    assert client.get("/api/me").status_code == 401
    assert client.get("/me/").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(client, cast):
    login(client, cast.killer)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.mark.parametrize("how", ["api", "form"])
def test_it_gives_a_new_csrf_token_at_login(cast, how):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.get("/")
    before = client.cookies["csrftoken"].value
    if how == "api":
        response = client.post(
            "/api/login",
            {"code": cast.victim.login_code},
            content_type="application/json",
            HTTP_X_CSRFTOKEN=before,
        )
        assert response.status_code == 200
    else:
        response = client.post("/", {"code": cast.victim.login_code, "csrfmiddlewaretoken": before})
        assert response.status_code == 302

    assert client.cookies["csrftoken"].value not in ("", before)
    # The token planted before login no longer passes.
    refused = client.post("/api/death", {}, content_type="application/json", HTTP_X_CSRFTOKEN=before)
    assert refused.status_code == 403


def test_it_gives_a_new_csrf_token_at_logout(cast):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.get("/")
    client.post(
        "/", {"code": cast.victim.login_code, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )
    before = client.cookies["csrftoken"].value

    response = client.post("/logout/", {"csrfmiddlewaretoken": before})

    assert response.status_code == 302
    assert client.cookies["csrftoken"].value not in ("", before)
