"""The recap of a finished game: its awards, each player's own story, and the public page."""

import random
from collections import Counter

from django.test import TestCase
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from game import recap, rules
from game.models import Game, Kill
from tests.conftest import fresh, login
from tests.game.test_invariants import EXAMPLES, GameMachine


def holders(award):
    return [holder["name"] for holder in award["holders"]]


def finish_with_streak(cast):
    """Killer kills Victim, then Bystander: Killer and Hunter are left, and the game finishes."""
    rules.kill_force(victim=cast.victim, actor="test")
    rules.kill_force(victim=cast.bystander, actor="test")
    return rules.game_finish(game=cast.game, actor="test")


def test_the_awards_of_a_finished_game(cast):
    game = finish_with_streak(cast)

    awards = recap.awards(game)

    assert holders(awards["winner"]) == []  # two players left: no single winner
    assert (holders(awards["most_kills"]), awards["most_kills"]["value"]) == (["Killer"], 2)
    assert holders(awards["first_blood"]) == ["Killer"]
    assert holders(awards["fastest_kill"]) == ["Killer"]
    assert (holders(awards["longest_streak"]), awards["longest_streak"]["value"]) == (["Killer"], 2)
    assert holders(awards["longest_survivor"]) == ["Bystander"]


def test_a_tie_names_every_holder(cast):
    rules.kill_force(victim=cast.victim, actor="test")  # Killer's
    rules.kill_force(victim=cast.killer, actor="test")  # Hunter's
    game = rules.game_finish(game=cast.game, actor="test")

    awards = recap.awards(game)

    assert holders(awards["most_kills"]) == ["Hunter", "Killer"]
    assert awards["longest_streak"]["holders"] == []  # nobody killed twice in a row
    assert awards["missions"]["most"]["count"] == awards["missions"]["least"]["count"] == 1


def test_an_undone_kill_does_not_count(cast):
    kill = rules.kill_force(victim=cast.victim, actor="test")
    rules.kill_undo(kill=kill, actor="test")
    rules.kill_force(victim=cast.bystander, actor="test")  # Victim's
    game = rules.game_finish(game=cast.game, actor="test")

    awards = recap.awards(game)

    assert (holders(awards["most_kills"]), awards["most_kills"]["value"]) == (["Victim"], 1)
    assert holders(awards["longest_survivor"]) == ["Bystander"]


def test_a_player_reads_their_story_once_the_game_is_over(client, cast):
    finish_with_streak(cast)

    killer_page = login(client, cast.killer).get(reverse("dashboard")).content.decode()
    assert "You eliminated Victim with the mission" in killer_page
    assert "You eliminated Bystander with the mission" in killer_page
    victim_page = login(client, cast.victim).get(reverse("dashboard")).content.decode()
    assert "You were eliminated by Killer with the mission “Make them say banana”" in victim_page


def test_a_running_game_tells_no_story(client, cast):
    rules.kill_force(victim=cast.victim, actor="test")

    page = login(client, cast.victim).get(reverse("dashboard")).content.decode()

    assert "You were eliminated by" in page  # the notice, while the game runs
    assert "with the mission" not in page  # but not the story, told once it is over


# --- The public page ------------------------------------------------------------------------------


def recap_url(game):
    return reverse("recap", args=[game.pk])


def main_of(response):
    """The page's own content, without the header that names the app (Killer)."""
    return response.content.decode().split("<main")[1].split("</main>")[0]


def test_the_recap_is_private_by_default(client, cast):
    game = finish_with_streak(cast)

    assert client.get(recap_url(game)).status_code == 404


def test_a_public_recap_shows_the_awards_to_anyone(client, cast):
    game = rules.game_set_recap_public(game=finish_with_streak(cast), actor="test", public=True)

    page = main_of(client.get(recap_url(game)))

    assert "First blood" in page
    assert "Most kills in a row" in page
    assert "Killer" in page


def test_a_game_that_keeps_killers_secret_shows_no_award_that_names_a_kill(client, make_cast):
    cast = make_cast(feed_names_killers=False)
    game = rules.game_set_recap_public(game=finish_with_streak(cast), actor="test", public=True)

    page = main_of(client.get(recap_url(game)))

    assert "Most kills" in page
    for award in ("First blood", "Fastest kill", "Most kills in a row"):
        assert award not in page


def test_a_recap_after_erasure_names_nobody(client, cast):
    game = finish_with_streak(cast)
    rules.game_erase_personal_data(game=game, actor="test")
    game = rules.game_set_recap_public(game=game, actor="test", public=True)

    page = main_of(client.get(recap_url(game)))

    for name in ("Killer", "Victim", "Bystander", "Hunter"):
        assert name not in page
    assert "Player 1" in page


def test_only_a_finished_game_has_a_recap(cast):
    try:
        rules.game_set_recap_public(game=cast.game, actor="test", public=True)
    except rules.RuleError:
        pass
    else:
        raise AssertionError("a running game's recap was made public")
    assert not fresh(cast.game).recap_public


def test_a_reopened_game_hides_its_recap_and_can_still_be_reopened_after_publishing(client, cast):
    rules.kill_force(victim=cast.victim, actor="test")
    rules.kill_force(victim=cast.bystander, actor="test")
    rules.kill_force(victim=cast.hunter, actor="test")  # the last one: Killer wins
    game = rules.game_set_recap_public(game=fresh(cast.game), actor="test", public=True)
    assert client.get(recap_url(game)).status_code == 200

    rules.game_reopen(game=game, actor="test")

    assert fresh(cast.hunter).alive
    assert client.get(recap_url(game)).status_code == 404


def test_a_game_master_makes_the_recap_public_then_private(gm_client, cast):
    game = finish_with_streak(cast)
    url = reverse("admin:game_game_action", args=[game.pk, "publish_recap"])

    gm_client.post(url)
    assert fresh(game).recap_public
    assert game.events.filter(kind="recap_published").exists()

    gm_client.post(reverse("admin:game_game_action", args=[game.pk, "hide_recap"]))
    assert not fresh(game).recap_public


# --- Awards of random games -----------------------------------------------------------------------


class FinishedGameMachine(GameMachine):
    """The random games of test_invariants, with the awards checked whenever the game is finished."""

    @invariant()
    def awards_add_up(self):
        game = fresh(self.game)
        awards = recap.awards(game)
        players = set(game.players.values_list("pk", flat=True))
        for name, award in awards.items():
            if name != "missions":
                assert {holder["id"] for holder in award["holders"]} <= players, name
        alive = list(game.players.alive())
        if game.status == Game.Status.FINISHED and len(alive) == 1:
            assert [holder["id"] for holder in awards["winner"]["holders"]] == [alive[0].pk]
        confirmed = list(Kill.objects.confirmed().filter(game=game))
        counts = Counter(kill.killer_id for kill in confirmed)
        most = max(counts.values(), default=0)
        assert awards["most_kills"]["value"] == most
        assert {holder["id"] for holder in awards["most_kills"]["holders"]} == {
            pk for pk, n in counts.items() if n == most
        }
        assert sum(awards["missions"]["counts"].values()) == sum(1 for kill in confirmed if kill.mission_text)
        assert awards["longest_streak"]["value"] <= most
        assert bool(awards["first_blood"]["holders"]) == bool(confirmed)

    def teardown(self):
        # Every random game ends, and its finished state is checked too.
        if fresh(self.game).status != Game.Status.FINISHED:
            rules.game_finish(game=self.game, actor="gm")
        self.awards_add_up()


class TestAwardsOfRandomGames(TestCase):
    def tearDown(self):
        rules.rng = random.SystemRandom()

    def test_the_awards_add_up_in_any_game(self):
        run_state_machine_as_test(
            FinishedGameMachine,
            settings=settings(
                max_examples=max(EXAMPLES // 2, 1),
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
