"""The link on a player's card, /login/#CODE, in a real browser: it logs in, and the code stays out
of the request line, the address bar and the history."""

from playwright.sync_api import expect

from game import cards
from tests.e2e.conftest import log_in


def test_the_card_link_logs_in_and_leaves_no_code_behind(phone, players):
    killer = players[0]
    page = phone(accept_language="en")
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(cards.login_path(killer))

    page.wait_for_url("**/me/")
    expect(page.get_by_text(killer.mission.text)).to_be_visible()
    assert not [url for url in requested if killer.login_code in url]
    # What the history holds before /me/: the browser's blank page, or /login/ without the code.
    page.go_back()
    assert killer.login_code not in page.url, page.url


def test_an_old_card_link_logs_in_through_the_new_one(phone, players):
    killer = players[0]
    page = phone(accept_language="en")

    page.goto(f"/login/{killer.login_code}/")

    page.wait_for_url("**/me/")
    expect(page.get_by_text(killer.mission.text)).to_be_visible()


def test_a_link_for_another_player_asks_first(phone, players):
    killer, victim = players[0], players[1]
    page = log_in(phone(accept_language="en"), killer)

    page.goto(cards.login_path(victim))

    question = f"You are logged in as {killer.name}. Log in as {victim.name} instead?"
    expect(page.get_by_role("heading", name=question)).to_be_visible()
    page.get_by_role("button", name=f"Log in as {victim.name}").click()
    page.wait_for_url("**/me/")
    expect(page.get_by_text(victim.mission.text)).to_be_visible()
