"""A game night in real browsers on phone-sized screens: what players and game masters see."""

import contextlib

import pytest
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import expect

from game import codes, ratelimit, rules
from game import players as players_module
from game.models import Game
from tests.conftest import fresh, make_game
from tests.e2e.conftest import SCREENSHOTS, assert_not_reloaded, check_phone_page, log_in, mark


def test_a_game_master_starts_the_game_from_the_admin(phone, transactional_db, game_master):
    game = make_game(players=4)
    page = phone(accept_language="en")
    page.goto("/admin/login/")
    page.fill("#id_username", "gm")
    page.fill("#id_password", "gm-password")
    page.click("input[type=submit]")
    page.goto(reverse("admin:game_game_dashboard", args=[game.pk]))
    page.get_by_role("link", name="Start the game").click()
    page.get_by_role("button", name="Start the game").click()
    expect(page.get_by_text("The game has started.")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "admin-dashboard.png", full_page=True)
    assert fresh(game).status == Game.Status.RUNNING
    assert rules.chain_problems(fresh(game)) == []


def test_a_declared_kill_reaches_the_victim_and_the_killer_without_reloading(phone, players):
    killer, victim, bystander, _hunter = players
    a = log_in(phone(), killer)
    expect(a.locator("#target + p")).to_contain_text(victim.name)
    expect(a.get_by_text(killer.mission.text)).to_be_visible()
    check_phone_page(a, "dashboard-alive")

    b = log_in(phone(), victim)
    mark(b)
    a.get_by_role("button", name="J'ai accompli ma mission").click()
    question = f"Avez-vous accompli votre mission sur {victim.name} ?"
    expect(a.get_by_role("heading", name=question)).to_be_visible()
    check_phone_page(a, "declare-asks-once-more")
    a.get_by_role("button", name="Oui, mission accomplie").click()
    expect(a.get_by_text(f"En attente de la confirmation de {victim.name}")).to_be_visible()

    # B's page learns of it by polling, without a reload.
    expect(b.get_by_role("heading", name="Êtes-vous hors jeu ?")).to_be_visible()
    assert_not_reloaded(b)
    check_phone_page(b, "dashboard-pending-kill")

    mark(a)
    b.get_by_role("button", name="Oui, c'est vrai").click()
    expect(b.get_by_role("heading", name="Vous êtes hors jeu")).to_be_visible()
    check_phone_page(b, "dashboard-dead")

    expect(a.locator("#target + p")).to_contain_text(bystander.name)
    expect(a.get_by_text("1 élimination à votre actif")).to_be_visible()
    assert_not_reloaded(a)

    a.get_by_role("link", name="Classement").click()
    expect(a.get_by_text(f"{killer.name} a éliminé {victim.name}")).to_be_visible()
    expect(a.locator("table.board tbody tr").first).to_contain_text(killer.name)
    check_phone_page(a, "leaderboard")


def test_the_leaderboard_follows_the_game_without_reloading(phone, players):
    killer, victim, *_rest = players
    page = log_in(phone(), players[2])
    page.goto("/leaderboard/")
    mark(page)
    rules.death_report(victim=victim, actor="test")
    expect(page.get_by_text(f"{killer.name} a éliminé {victim.name}")).to_be_visible()
    assert_not_reloaded(page)


def test_the_death_code_flow(phone, players):
    killer, victim, bystander, _hunter = players
    b = log_in(phone(), victim)
    expect(b.get_by_text(codes.display(victim.death_code))).to_be_visible()
    mark(b)

    a = log_in(phone(), killer)
    a.fill("#death_code", codes.display(victim.death_code).lower())
    a.get_by_role("button", name="Valider l'élimination").click()
    expect(a.get_by_text("Élimination confirmée. Voici votre nouvelle cible.")).to_be_visible()
    expect(a.locator("#target + p")).to_contain_text(bystander.name)

    expect(b.get_by_role("heading", name="Vous êtes hors jeu")).to_be_visible()
    assert_not_reloaded(b)


def test_a_wrong_death_code_says_so_and_kills_nobody(phone, players):
    killer, victim, bystander, _hunter = players
    a = log_in(phone(), killer)
    a.fill("#death_code", codes.display(bystander.death_code))
    a.get_by_role("button", name="Valider l'élimination").click()
    expect(a.get_by_role("alert")).to_contain_text("Ce n'est pas le code de mort de votre cible.")
    assert fresh(victim).alive and fresh(bystander).alive


def test_the_finished_game_shows_its_winner(phone, players):
    killer, victim, bystander, hunter = players
    page = log_in(phone(), killer)
    mark(page)
    for player in (victim, bystander, hunter):
        rules.death_report(victim=player, actor="test")
    expect(page.get_by_text(f"Vainqueur : {killer.name}")).to_be_visible()
    assert_not_reloaded(page)
    page.get_by_role("link", name="Voir les résultats").click()
    expect(page.get_by_role("heading", name="La partie est terminée")).to_be_visible()
    expect(page.locator(".winner")).to_contain_text(killer.name)
    check_phone_page(page, "results")


@pytest.mark.parametrize("how", ["footer button", "browser language"])
def test_french_by_default_english_on_request(phone, how, transactional_db):
    page = phone(accept_language="en" if how == "browser language" else "fr-FR,fr")
    page.goto("/")
    if how == "footer button":
        expect(page.get_by_label("Votre code")).to_be_visible()
        check_phone_page(page, "login")
        page.get_by_role("button", name="English").click()
    expect(page.get_by_label("Your code")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/rules/")
    expect(page.get_by_role("heading", name="How to play")).to_be_visible()
    check_phone_page(page, f"rules-en-{how.replace(' ', '-')}")


def test_everything_works_without_javascript(phone, players):
    killer, victim, bystander, _hunter = players
    a = log_in(phone(javascript=False), killer)
    a.get_by_role("button", name="J'ai accompli ma mission").click()
    a.get_by_role("button", name="Oui, mission accomplie").click()
    b = log_in(phone(javascript=False), victim)
    check_phone_page(b, "nojs-pending-kill", accessibility=False)
    b.get_by_role("button", name="Oui, c'est vrai").click()
    expect(b.get_by_role("heading", name="Vous êtes hors jeu")).to_be_visible()
    a.goto("/me/")
    expect(a.locator("#target + p")).to_contain_text(bystander.name)
    b.get_by_role("button", name="Se déconnecter").click()
    expect(b.get_by_label("Votre code")).to_be_visible()


def test_a_player_logs_in_with_the_card_link_after_the_venue_address_is_used_up(phone, players, monkeypatch):
    killer = players[0]
    # One window for the whole test (the live server runs in this process).
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_000_000.0)
    # Someone dropping cookies at every guess has used up the address the live server sees.
    for i in range(ratelimit.LOGIN_PER_IP.attempts):
        request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
        request.COOKIES["csrftoken"] = f"attacker-{i}"
        with contextlib.suppress(ratelimit.RateLimited):
            players_module.log_in_with_code(request, "WRONG")
    page = phone(accept_language="en")
    page.goto(f"/login/#{killer.login_code}")  # the card's link
    # The page's script solves the puzzle and sends the form by itself.
    page.wait_for_url("**/me/")
    expect(page.locator("#target + p")).to_contain_text(players[1].name)
    # Without JavaScript the page says what to do.
    nojs = phone(accept_language="en", javascript=False)
    nojs.goto("/")
    nojs.fill("#code", killer.login_code)
    nojs.get_by_role("button", name="Log in").click()
    expect(nojs.get_by_role("status")).to_contain_text("needs JavaScript")
    expect(nojs.get_by_role("status")).to_contain_text("Too many failed attempts. Try again in")
    check_phone_page(nojs, "login-puzzle-nojs", accessibility=False)  # axe-core needs JavaScript
