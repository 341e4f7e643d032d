"""Printable login cards: name, login code and a QR code of the login link."""

from django.conf import settings
from django.urls import reverse

from game import codes, rules


def test_game_cards_show_each_player_with_code_and_qr(
    gm_client, running_game, victim, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = gm_client.get(reverse("admin:game_game_cards", args=[running_game.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('class="card"') == 4
    assert codes.display(victim.login_code) in content
    assert f"http://testserver/login/#{victim.login_code}" in content
    assert content.count('<svg viewBox="0 0 ') == 4
    # The print layout is a static file: the Content-Security-Policy allows no inline script.
    assert "game/cards.css" in content
    assert "@page { size: A4" in (settings.BASE_DIR / "game/static/game/cards.css").read_text()


def test_cards_leave_out_players_who_dropped_out(gm_client, running_game, victim):
    victim.dropped_out = True
    victim.save()

    response = gm_client.get(reverse("admin:game_game_cards", args=[running_game.pk]))

    assert response.content.decode().count('class="card"') == 3


def test_cards_for_players_picked_in_the_list(gm_client, killer, victim, bystander):
    response = gm_client.post(
        reverse("admin:game_player_changelist"),
        {"action": "print_login_cards", "_selected_action": [killer.pk, victim.pk]},
    )
    assert response.status_code == 302

    response = gm_client.get(response["Location"])

    content = response.content.decode()
    assert content.count('class="card"') == 2
    assert killer.login_code in content.replace("-", "")
    assert bystander.name not in content


def test_cards_carry_the_site_address_whatever_address_the_admin_was_opened_with(
    gm_client, running_game, victim, settings
):
    settings.SITE_URL = "https://killer.example.org"

    content = gm_client.get(f"/admin/game/game/{running_game.pk}/cards/").content.decode()

    assert f"https://killer.example.org/login/#{victim.login_code}" in content
    assert "testserver" not in content
    assert "set SITE_URL" not in content


def test_without_a_site_address_the_cards_page_warns(gm_client, running_game, settings):
    settings.SITE_URL = ""

    content = gm_client.get(f"/admin/game/game/{running_game.pk}/cards/").content.decode()

    assert "These cards carry the address this page was opened with, http://testserver/" in content


def test_eliminated_players_get_cards_only_when_asked(gm_client, running_game, killer, victim):
    rules.kill_with_death_code(killer=killer, death_code=victim.death_code, actor="player")
    url = f"/admin/game/game/{running_game.pk}/cards/"

    content = gm_client.get(url).content.decode()
    everyone = gm_client.get(url + "?all=1").content.decode()

    assert victim.name not in content and "1 eliminated player has no card here." in content
    assert victim.name in everyone
