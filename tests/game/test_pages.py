import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from game import cards, rules
from game.models import Kill, Player
from tests.conftest import fresh, make_game

pytestmark = pytest.mark.django_db


def logged_in(player):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/", {"code": player.login_code})
    assert response.status_code == 302
    return client


def test_the_login_page_is_in_french_by_default():
    response = Client().get("/")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()
    assert "Votre code" in response.content.decode()
    assert "csrftoken" in response.cookies


def test_english_through_the_browser_language_or_the_switch(cast):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert "Your code" in client.get("/").content.decode()
    french = Client()
    french.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Your code" in french.get("/").content.decode()


def test_a_wrong_code_shows_an_error(cast):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post("/", {"code": "nope"})
    assert response.status_code == 400
    assert "Unknown code" in response.content.decode()


def test_a_card_carries_its_code_where_no_request_line_does(cast):
    link = urlsplit(cards.login_path(cast.killer))

    assert (link.path, link.query, link.fragment) == ("/login/", "", cast.killer.login_code)
    assert Client().get(link.path).status_code == 200


def test_an_old_card_link_sends_to_the_login_form_without_logging_in(cast):
    client = Client()
    response = client.get(f"/login/{cast.killer.login_code}/")
    assert response.status_code == 302 and response["Location"] == f"/login/#{cast.killer.login_code}"
    assert client.get("/me/").status_code == 302


def test_it_asks_before_it_logs_a_phone_in_as_another_player(cast):
    client = logged_in(cast.killer)

    response = client.post("/", {"code": cast.victim.login_code})

    page = response.content.decode()
    assert response.status_code == 200
    assert f"You are logged in as {cast.killer.name}. Log in as {cast.victim.name} instead?" in page
    assert 'name="confirmed" value="yes"' in page
    assert client.session["player_id"] == cast.killer.pk


def test_it_logs_in_as_the_other_player_once_asked(cast):
    client = logged_in(cast.killer)

    response = client.post("/", {"code": cast.victim.login_code, "confirmed": "yes"})

    assert response.status_code == 302 and response["Location"] == "/me/"
    assert client.session["player_id"] == cast.victim.pk


def test_the_same_player_logs_in_again_without_a_question(cast):
    client = logged_in(cast.killer)

    response = client.post("/", {"code": cast.killer.login_code})

    assert response.status_code == 302 and response["Location"] == "/me/"


def test_pages_need_a_login(client):
    for path in ("/me/", "/leaderboard/", "/results/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/"


def test_the_dashboard_shows_target_mission_and_death_code(cast):
    page = logged_in(cast.killer).get("/me/").content.decode()
    assert cast.victim.name in page
    assert cast.killer.mission.text in page
    assert cast.killer.death_code[:4] in page
    assert 'data-poll-url="/api/me"' in page


def declare_from_the_page(client):
    """Sends the dashboard's "I completed my mission" form as the browser would, its target included."""
    target = re.search(r'name="target" value="(\d+)"', client.get("/me/").content.decode())[1]
    asked = client.post("/me/declare/", {"target": target})
    assert asked.status_code == 200 and not Kill.objects.exists()  # one tap asks once more
    return client.post("/me/declare/", {"target": target, "confirmed": "yes"})


def test_declare_and_confirm_through_the_forms(cast):
    killer, victim = logged_in(cast.killer), logged_in(cast.victim)
    assert declare_from_the_page(killer).status_code == 302
    page = victim.get("/me/").content.decode()
    assert "Are you out?" in page
    kill = Kill.objects.get()
    response = victim.post(f"/me/kills/{kill.pk}/confirm/", follow=True)
    assert "You confirmed your death" in response.content.decode()
    assert "You are out of the game" in response.content.decode()
    page = killer.get("/me/").content.decode()
    assert cast.bystander.name in page


def test_deny_through_the_form(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="k")
    logged_in(cast.victim).post(f"/me/kills/{kill.pk}/deny/")
    assert fresh(kill).status == Kill.Status.DENIED


def test_death_code_form_shows_the_refusal(cast):
    response = logged_in(cast.killer).post("/me/death-code/", {"death_code": "WRONG"}, follow=True)
    assert "not your target" in response.content.decode()
    assert fresh(cast.victim).alive


def test_report_own_death_form(cast):
    logged_in(cast.victim).post("/me/death/", {"confirmed": "yes"})
    assert not fresh(cast.victim).alive


@pytest.mark.parametrize(
    ("path", "question", "button"),
    [
        ("/me/death/", "Are you out?", "Yes, I am out"),
        ("/me/declare/", "Did you complete your mission on Victim?", "Yes, mission completed"),
    ],
)
def test_one_tap_eliminates_nobody_and_asks_once_more(cast, path, question, button):
    client = logged_in(cast.killer if path == "/me/declare/" else cast.victim)
    page = client.post(path, {"target": cast.victim.pk})

    assert page.status_code == 200
    html = page.content.decode()
    assert question in html and button in html
    assert 'name="confirmed" value="yes"' in html
    assert path == "/me/death/" or f'name="target" value="{cast.victim.pk}"' in html
    assert fresh(cast.victim).alive and not Kill.objects.exists()


def test_forms_need_post(cast):
    client = logged_in(cast.killer)
    for path in ("/me/declare/", "/me/death/", "/logout/"):
        assert client.get(path).status_code == 405


def test_leaderboard_feed_and_results_pages(cast):
    rules.death_report(victim=cast.victim, actor="v")
    client = logged_in(cast.bystander)
    page = client.get("/leaderboard/").content.decode()
    assert f"{cast.killer.name} eliminated {cast.victim.name}" in page
    assert client.get("/results/").status_code == 302
    rules.game_finish(game=cast.game, actor="gm")
    assert "The game is over" in client.get("/results/").content.decode()


def test_rules_page_is_public_and_shows_the_games_options(cast):
    assert Client().get("/rules/").status_code == 200
    page = logged_in(cast.killer).get("/rules/").content.decode()
    assert "The victim confirms declared kills" in page


def test_logout(cast):
    client = logged_in(cast.killer)
    client.post("/logout/")
    assert client.get("/me/").status_code == 302


def test_a_big_games_leaderboard_shows_the_top_100_and_its_results_everyone():
    game = make_game(players=105, start=True)
    first = game.players.first()
    rules.death_report(victim=Player.objects.get(target=first), actor="p")
    client = logged_in(first)
    board = client.get("/api/leaderboard").json()
    assert (len(board["players"]), board["total"], board["game"]["alive"]) == (100, 105, 104)
    assert board["players"][0]["kills"] == 1 and board["players"][0]["rank"] == 1
    page = client.get("/leaderboard/").content.decode()
    assert page.count("<tr") == 101 and "The top 100 of 105 players." in page
    rules.game_finish(game=game, actor="gm")
    assert client.get("/results/").content.decode().count("<tr") == 106


def test_the_leaderboard_page_shows_the_ranking_the_api_built_for_this_version(cast):
    """Ranking a 5,000-player game takes ~100 ms: once per version, for the API and the pages alike."""
    client = logged_in(cast.bystander)
    tag = client.get("/api/leaderboard")["ETag"]
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/leaderboard/")
    assert not [query for query in queries if '"kill_count" DESC' in query["sql"]]
    assert page.content.decode().count("<tr") == 1 + 4
    # The page polls with the ETag of the ranking it shows.
    assert tag.strip('"') in page.content.decode()


def test_every_page_has_an_icon(client, cast):
    # The player pages name it; the admin's don't, and browsers then ask for /favicon.ico.
    page = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    assert finders.find(icon.removeprefix(settings.STATIC_URL))

    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == icon


def test_a_game_ended_early_with_several_players_in_says_so(cast):
    rules.game_finish(game=cast.game, actor="gm:gm")

    page = logged_in(cast.killer).get("/results/").content.decode()

    assert "The game was ended with 4 players still in: no single winner." in page
    assert "without a single survivor" not in page


def test_the_winner_reads_that_they_won(cast):
    for victim in (cast.victim, cast.bystander, cast.hunter):
        hunter = Player.objects.get(target=victim)
        rules.kill_with_death_code(killer=hunter, death_code=victim.death_code, actor="player")
    winner = Player.objects.get(game=cast.game, alive=True)

    page = logged_in(winner).get("/me/").content.decode()
    other = logged_in(cast.victim).get("/me/").content.decode()

    assert "You won: you are the last one in the game!" in page
    assert "You won" not in other


def test_the_leaderboard_opens_on_the_latest_kills_with_their_day_and_marks_your_row(cast):
    rules.kill_with_death_code(killer=cast.killer, death_code=cast.victim.death_code, actor="player")

    page = logged_in(cast.bystander).get("/leaderboard/").content.decode()

    assert page.index("Latest kills") < page.index('<table class="board">')
    assert re.search(r"<time [^>]*>[^<]*\b2\d{3}\b[^<]*\d:\d\d[^<]*</time>", page)  # the day, then the time
    [mine] = re.findall(r'<tr class="[^"]*you[^"]*"[^>]*>.*?</tr>', page, flags=re.S)
    assert "Bystander" in mine and 'aria-current="true"' in mine
