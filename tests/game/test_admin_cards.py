"""Printable login cards: name, login code and a QR code of the login link."""

from django.conf import settings
from django.urls import reverse

from game import codes


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
