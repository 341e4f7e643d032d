"""A game master's night, as docs/game-masters.md tells it, in a real browser: log in, create the game,
fill the pool from a pack, import the players, print the cards, start; then a player's phone opens
the link of their card and lands on their target.

The site's address (SITE_URL) is not the one the game master opened the admin with, as when the
admin is opened on the laptop itself (127.0.0.1) and the phones reach it at its local network address:
the cards must carry the site's.
"""

import re

import pytest

from game.models import Game


@pytest.fixture
def site(live_server, settings):
    """The live server at two addresses: 127.0.0.1 for the game master, localhost for the phones."""
    port = live_server.url.rsplit(":", 1)[1]
    settings.SITE_URL = f"http://localhost:{port}"
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    return f"http://127.0.0.1:{port}", settings.SITE_URL


def test_a_game_master_runs_a_night_from_the_guide_and_a_phone_logs_in_with_its_card(
    browser, phone, site, game_master, transactional_db, tmp_path
):
    admin_address, site_url = site
    context = browser.new_context(base_url=admin_address, extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    try:
        page.goto("/admin/login/")
        page.fill("#id_username", "gm")
        page.fill("#id_password", "gm-password")
        page.click("input[type=submit]")

        page.goto("/admin/game/game/add/")
        page.fill("#id_name", "Spring game")
        page.click("input[name=_save]")
        page.wait_for_url("**/dashboard/")

        page.get_by_role("link", name="Add missions").first.click()
        page.get_by_role("button", name=re.compile("the pack in English")).click()
        page.wait_for_url("**/dashboard/")
        game = Game.objects.get(name="Spring game")
        assert game.missions.count() >= 30

        players = tmp_path / "players.csv"
        players.write_text("name,email,group\nAnn Lee,ann@example.org,6B\nBob Roy,,6B\nCléo Dia,,6C\n")
        page.get_by_role("link", name="Import players").first.click()
        page.set_input_files("input[type=file]", str(players))
        page.get_by_role("button", name="Preview").click()
        page.get_by_role("button", name="Import these players").click()
        assert game.players.count() == 3

        page.goto(f"/admin/game/game/{game.pk}/cards/")
        links = [text for text in page.locator(".card .help").all_inner_texts() if "/login/" in text]
        assert len(links) == 3 and all(site_url + "/login/#" in link for link in links)
        assert "These cards carry the address this page was opened with" not in page.content()
        # A code is typed from the card: never split over two lines, on paper or a phone's screen.
        page.set_viewport_size({"width": 390, "height": 844})
        # The line boxes of each code's text: one each.
        lines = page.eval_on_selector_all(
            ".card .code",
            """codes => codes.map((code) => {
              const range = document.createRange();
              range.selectNodeContents(code);
              return range.getClientRects().length;
            })""",
        )
        assert lines == [1, 1, 1], lines
        ann = game.players.get(name="Ann Lee")
        card_link = next(link for link in links if ann.login_code in link).split(" ")[-1]

        page.goto(f"/admin/game/game/{game.pk}/do/start/")
        page.get_by_role("button", name="Start the game").click()
        page.wait_for_url("**/dashboard/")
        game.refresh_from_db()
        assert game.status == Game.Status.RUNNING
    finally:
        context.close()

    ann_phone = phone(accept_language="en")
    ann_phone.goto(card_link)
    ann_phone.wait_for_url(site_url + "/me/")
    ann.refresh_from_db()
    assert ann.target.name in ann_phone.locator("#target + p").inner_text()
