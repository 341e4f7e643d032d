"""A player's open page tells them why it changed, without a reload."""

from playwright.sync_api import expect

from game import rules
from tests.e2e.conftest import assert_not_reloaded, log_in, mark


def test_a_rejected_kill_shows_the_game_masters_reason_on_the_killers_open_page(phone, players):
    killer, victim, _bystander, _hunter = players
    page = log_in(phone(accept_language="en"), killer)
    kill = rules.kill_declare(killer=killer, actor="player")
    expect(page.get_by_text(f"Waiting for {victim.name} to confirm your kill.")).to_be_visible()
    mark(page)

    rules.kill_reject(kill=kill, actor="gm:gm", reason="Nobody saw it happen")

    banner = page.locator(".notice-banner")
    expect(banner).to_contain_text(f"A game master rejected your kill on {victim.name}: Nobody saw it happen")
    assert_not_reloaded(page)
