"""Players who share a name and a group: allowed (real people do), but the game master is warned, and
a player sees the group beside every other player's name."""

from django.urls import reverse

from game import rules
from game.models import Player
from tests.conftest import login
from tests.game.test_admin_csv import confirm, upload


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


NAMESAKES = "name,group\nLucas,6B\nAnn,6B\n lucas ,6b\nLucas,6C\n"


def test_the_import_preview_names_the_namesakes_in_the_file_and_imports_them_anyway(gm_client, setup_game):
    response = upload(gm_client, setup_game, NAMESAKES)

    result = response.context["result"]
    assert result.ok
    assert {row.line: row.warnings for row in result.rows} == {
        2: [],
        3: [],
        4: ["Same name and group as line 2."],
        5: [],  # another group tells this Lucas apart
    }
    assert "their hunters could not tell them apart" in response.content.decode()
    confirm(gm_client, setup_game, response)
    assert setup_game.players.filter(name__icontains="lucas").count() == 3


def test_the_import_preview_names_a_namesake_already_in_the_game(gm_client, setup_game):
    Player.objects.create(game=setup_game, name="Lucas", group="6B")

    result = upload(gm_client, setup_game, NAMESAKES).context["result"]

    assert result.rows[0].warnings == ["Same name and group as a player already in the game."]
    assert result.rows[2].warnings == ["Same name and group as a player already in the game."]


def test_a_file_without_namesakes_gets_no_warning(gm_client, setup_game):
    response = upload(gm_client, setup_game, "name,group\nLucas,6B\nLucas,6C\n")

    assert not response.context["result"].namesakes
    assert "could not tell them apart" not in response.content.decode()


def test_adding_a_namesake_in_the_admin_warns_and_adds_them(gm_client, running_game, killer):
    response = gm_client.post(
        reverse("admin:game_player_add"),
        {"game": running_game.pk, "name": "killer", "email": "", "group": ""},
        follow=True,
    )

    assert any("also called killer" in message for message in messages_of(response))
    assert running_game.players.filter(name="killer").exists()


def test_renaming_a_player_into_a_namesake_warns(gm_client, victim):
    response = gm_client.post(
        reverse("admin:game_player_change", args=[victim.pk]),
        {"name": "Killer", "email": victim.email, "group": ""},
        follow=True,
    )

    assert any("also called Killer" in message for message in messages_of(response))
    assert Player.objects.get(pk=victim.pk).name == "Killer"


def test_a_namesake_in_another_group_gets_no_warning(gm_client, running_game):
    response = gm_client.post(
        reverse("admin:game_player_add"),
        {"game": running_game.pk, "name": "Killer", "email": "", "group": "6C"},
        follow=True,
    )

    assert not any("also called" in message for message in messages_of(response))


def test_the_claim_against_me_shows_the_killers_group(client, cast):
    rules.player_update(player=cast.killer, group="6B", actor="test")
    rules.kill_declare(killer=cast.killer, actor="test")
    login(client, cast.victim)

    assert client.get("/api/me").json()["kill_against_me"]["killer_group"] == "6B"
    assert "Killer (6B) says they completed their mission on you" in client.get("/me/").content.decode()
