"""A game's "Add missions" page: a pack in French or English, or many missions pasted at once, and a
warning wherever the pool is much smaller than the game."""

from game import rules
from game.mission_packs import PACKS
from game.models import Event, Game, Mission

URL = "/admin/game/game/{}/missions/"


def test_a_pack_fills_the_pool_through_the_rules(gm_client, setup_game):
    response = gm_client.post(URL.format(setup_game.pk), {"pack": "fr"})

    assert response.status_code == 302
    texts = set(setup_game.missions.values_list("text", flat=True))
    assert set(PACKS["fr"][1]) <= texts
    assert Event.objects.filter(game=setup_game, kind="mission_added").count() == len(PACKS["fr"][1])


def test_each_pack_has_as_many_missions_in_both_languages():
    assert len(PACKS["fr"][1]) == len(PACKS["en"][1]) >= 30
    assert all(len(set(texts)) == len(texts) for _, texts in PACKS.values())


def test_pasted_lines_become_missions_blank_lines_and_known_ones_skipped(gm_client, setup_game):
    pasted = "Get a high five\n\n  Borrow their scarf  \nMake them laugh\nMake them laugh\n"

    response = gm_client.post(URL.format(setup_game.pk), {"texts": pasted})

    assert response.status_code == 302
    assert setup_game.missions.count() == 5
    assert setup_game.missions.filter(text="Borrow their scarf").exists()
    assert setup_game.missions.filter(text="Make them laugh").count() == 1


def test_a_refused_line_adds_nothing_and_says_which(gm_client, setup_game):
    pasted = "Borrow their scarf\n" + "x" * 600 + "\nMake them laugh\u200b\n"

    response = gm_client.post(URL.format(setup_game.pk), {"texts": pasted})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Line 2: The mission is 600 characters long" in page
    assert "Line 3: " in page
    assert setup_game.missions.count() == 3


def test_a_pool_much_smaller_than_the_game_is_flagged(gm_client, setup_game):
    for number in range(8):
        rules.player_join(game=setup_game, name=f"Player {number}", actor="gm")

    dashboard = gm_client.get(f"/admin/game/game/{setup_game.pk}/dashboard/").content.decode()
    page = gm_client.get(URL.format(setup_game.pk)).content.decode()

    assert "The pool has 3 missions for 8 players" in dashboard
    assert "The pool has 3 missions for 8 players" in page
    gm_client.post(URL.format(setup_game.pk), {"pack": "en"})
    assert (
        "missions for" not in gm_client.get(f"/admin/game/game/{setup_game.pk}/dashboard/").content.decode()
    )


def test_an_empty_pool_is_flagged(gm_client, db):
    game = Game.objects.create(name="Autumn game")

    dashboard = gm_client.get(f"/admin/game/game/{game.pk}/dashboard/").content.decode()

    assert "The pool has no mission" in dashboard


def test_only_game_masters_who_may_add_missions_see_the_page(client, django_user_model, setup_game):
    user = django_user_model.objects.create_user(username="helper", password="x", is_staff=True)
    client.force_login(user)

    assert client.get(URL.format(setup_game.pk)).status_code == 403
    assert client.post(URL.format(setup_game.pk), {"pack": "fr"}).status_code == 403
    assert Mission.objects.filter(game=setup_game).count() == 3
