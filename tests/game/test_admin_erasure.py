"""Erasing a finished game's personal data, and deleting a finished game, from the admin."""

import pytest
from django.urls import reverse

from game import rules
from game.models import Event, Game, Kill, Player
from sheets_sync.models import GameSheet
from tests.conftest import build_cast, fresh

pytestmark = pytest.mark.django_db


def erase_url(game):
    return reverse("admin:game_game_erase", args=[game.pk])


def delete_url(game):
    return reverse("admin:game_game_delete", args=[game.pk])


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def finished_game(cast):
    rules.kill_force(victim=cast.victim, actor="gm:gm", reason="Seen by Mme Dupuis")
    rules.game_finish(game=cast.game, actor="gm:gm")
    return fresh(cast.game)


def test_the_dashboard_of_a_finished_game_offers_the_erasure(gm_client, finished_game, running_game):
    response = gm_client.get(reverse("admin:game_game_dashboard", args=[finished_game.pk]))

    assert erase_url(finished_game).encode() in response.content


def test_the_confirmation_page_says_what_goes_and_what_stays_and_changes_nothing(gm_client, finished_game):
    GameSheet.objects.create(game=finished_game, spreadsheet_key="the-season-sheet")

    response = gm_client.get(erase_url(finished_game))

    page = response.content.decode()
    assert response.status_code == 200
    for words in ("names", "e-mail addresses and groups", "login and death codes", "reasons", "Kill counts"):
        assert words in page
    assert "the-season-sheet" in page
    assert "delete the spreadsheet" in page
    assert fresh(finished_game).personal_data_erased_at is None
    assert "Killer" in finished_game.players.values_list("name", flat=True)


def test_posting_it_erases_the_personal_data(gm_client, finished_game):
    response = gm_client.post(erase_url(finished_game), follow=True)

    assert "The players' personal data is erased." in messages_of(response)
    assert fresh(finished_game).personal_data_erased_at is not None
    assert list(finished_game.players.order_by("pk").values_list("name", "email")) == [
        (f"Player {n}", "") for n in (1, 2, 3, 4)
    ]
    assert Kill.objects.get(game=finished_game).reason == ""
    assert Event.objects.filter(game=finished_game, kind="personal_data_erased", actor="gm:gm").exists()


def test_it_refuses_a_running_game_with_a_message(gm_client, running_game):
    names = list(running_game.players.values_list("name", flat=True))

    response = gm_client.post(erase_url(running_game), follow=True)

    assert messages_of(response) == [
        "Only a finished game's personal data can be erased: finish the game first."
    ]
    assert fresh(running_game).personal_data_erased_at is None
    assert list(running_game.players.values_list("name", flat=True)) == names


def test_a_superuser_deletes_a_finished_game_with_its_events(admin_client, finished_game):
    other = build_cast()
    GameSheet.objects.create(game=finished_game, spreadsheet_key="the-season-sheet")

    page = admin_client.get(delete_url(finished_game))
    assert page.status_code == 200
    assert "the-season-sheet" in page.content.decode()
    response = admin_client.post(delete_url(finished_game), {"post": "yes"})

    assert response.status_code == 302
    assert not Game.objects.filter(pk=finished_game.pk).exists()
    assert not Event.objects.filter(game_id=finished_game.pk).exists()
    assert not Player.objects.filter(game_id=finished_game.pk).exists()
    assert not GameSheet.objects.filter(game_id=finished_game.pk).exists()
    assert other.game.events.exists()


def test_a_superuser_cannot_delete_a_running_game(admin_client, running_game):
    assert admin_client.post(delete_url(running_game), {"post": "yes"}).status_code == 403
    assert Game.objects.filter(pk=running_game.pk).exists()


def test_a_game_master_cannot_delete_a_game(gm_client, finished_game):
    assert gm_client.post(delete_url(finished_game), {"post": "yes"}).status_code == 403
    assert Game.objects.filter(pk=finished_game.pk).exists()
