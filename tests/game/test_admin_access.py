"""Only staff with the game permissions reach the admin pages; everyone else changes nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from game import rules
from game.models import Event, Game, Player

# Every custom admin page, as (url name, which object's pk it takes).
PAGES = [
    ("admin:game_game_dashboard", "game"),
    ("admin:game_game_chain", "game"),
    ("admin:game_game_options", "game"),
    ("admin:game_game_erase", "game"),
    ("admin:game_game_import", "game"),
    ("admin:game_game_missions", "game"),
    ("admin:game_game_cards", "game"),
    ("admin:game_game_export_players", "game"),
    ("admin:game_game_export_kills", "game"),
    ("admin:game_game_export_json", "game"),
    ("admin:game_player_revive", "player"),
    ("admin:game_player_drop_out", "player"),
    ("admin:game_player_new_codes", "player"),
    ("admin:game_player_force_kill", "player"),
    ("admin:game_kill_confirm", "kill"),
    ("admin:game_kill_reject", "kill"),
    ("admin:game_kill_undo", "kill"),
]
GAME_ACTIONS = ["start", "pause", "resume", "finish", "reshuffle", "repair"]


@pytest.fixture
def urls(running_game, killer, victim):
    kill = rules.kill_declare(killer=killer, actor="player")
    objects = {"game": running_game.pk, "player": victim.pk, "kill": kill.pk}
    return (
        [reverse(name, args=[objects[kind]]) for name, kind in PAGES]
        + [reverse("admin:game_game_action", args=[running_game.pk, action]) for action in GAME_ACTIONS]
        + [reverse("admin:game_player_cards") + f"?ids={victim.pk}", reverse("admin:game_game_import_game")]
    )


def assert_nothing_changed(game, events_before):
    assert Event.objects.count() == events_before
    assert Game.objects.get(pk=game.pk).status == Game.Status.RUNNING
    assert Player.objects.filter(game=game, alive=True).count() == 4


def test_anonymous_visitors_are_sent_to_the_login_page(client, running_game, urls):
    events = Event.objects.count()
    for url in urls:
        for response in (client.get(url), client.post(url, {"reason": "x", "after": ""})):
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url
    assert_nothing_changed(running_game, events)


def test_a_player_session_is_not_a_game_master(client, running_game, victim, urls):
    session = client.session
    session["player_id"] = victim.pk
    session.save()
    events = Event.objects.count()
    for url in urls:
        assert client.post(url, {"reason": "x", "after": ""}).status_code == 302, url
    assert_nothing_changed(running_game, events)


def test_users_who_are_not_staff_are_refused(client, plain_user, running_game, urls):
    client.force_login(plain_user)
    events = Event.objects.count()
    for url in urls:
        response = client.post(url, {"reason": "x", "after": ""})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    assert_nothing_changed(running_game, events)


def test_staff_without_the_game_permissions_are_refused(
    client, staff_without_permissions, running_game, urls
):
    client.force_login(staff_without_permissions)
    events = Event.objects.count()
    for url in urls:
        assert client.post(url, {"reason": "x", "after": ""}).status_code == 403, url
    assert_nothing_changed(running_game, events)


def test_the_game_master_reaches_every_page(gm_client, urls):
    for url in urls:
        assert gm_client.get(url).status_code == 200, url


def test_actions_need_the_csrf_token(game_master, running_game):
    client = Client(enforce_csrf_checks=True)
    client.force_login(game_master)

    response = client.post(reverse("admin:game_game_action", args=[running_game.pk, "pause"]))

    assert response.status_code == 403
    assert Game.objects.get(pk=running_game.pk).status == Game.Status.RUNNING


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/admin/", "http://testserver.evil.example/"]
)
def test_it_sends_a_login_with_an_unsafe_next_to_the_admin_index(client, game_master, unsafe):
    url = f"/admin/login/?next={unsafe}"
    response = client.post(url, {"username": "gm", "password": "gm-password", "next": unsafe})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_it_follows_a_safe_next_after_login(client, game_master):
    page = reverse("admin:game_game_changelist")
    response = client.post(
        f"/admin/login/?next={page}", {"username": "gm", "password": "gm-password", "next": page}
    )
    assert response.status_code == 302 and response["Location"] == page


@pytest.mark.parametrize(
    ("language", "index_title", "django_header"),
    [
        ("en", "Killer administration", "Django administration"),
        ("fr", "Administration de Killer", "Administration de Django"),
    ],
)
def test_the_admin_is_named_killer_not_django(game_master, language, index_title, django_header):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(game_master)
    page = client.get(reverse("admin:index")).content.decode()
    assert '<div id="site-name"><a href="/admin/">Killer</a></div>' in page
    assert f"<title>{index_title} | Killer</title>" in page
    assert f"<h1>{index_title}</h1>" in page
    assert django_header not in page
