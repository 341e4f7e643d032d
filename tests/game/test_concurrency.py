"""Requests that hit the same game at the same moment, from threads with their own database
connections, as from several gunicorn workers. Runs on the SQLite file database by default and on
PostgreSQL when DATABASE_URL points at one (CI does both)."""

from functools import partial

import pytest
from django.test import Client

from game import rules
from game.models import Kill, Player
from tests.conftest import at_once, chain_from, fresh, login, make_game

pytestmark = pytest.mark.django_db(transaction=True)


def posted_at_once(*requests):
    """Each (client, path, body) POSTed in its own thread, all released together."""
    return at_once(
        *(
            partial(client.post, path, body, content_type="application/json")
            for client, path, body in requests
        )
    )


def a_running_chain(players=6):
    game = make_game(players=players, start=True)
    return game, chain_from(game.players.first())


def assert_whole(game):
    assert rules.chain_problems(fresh(game)) == []


def statuses(responses):
    return sorted(response.status_code for response in responses)


def test_crossing_kills_keep_the_chain_whole():
    for _ in range(5):
        game, (a, b, c, *_rest) = a_running_chain()
        responses = posted_at_once(
            (login(Client(), a), "/api/kills", {"death_code": b.death_code}),
            (login(Client(), b), "/api/kills", {"death_code": c.death_code}),
        )
        # Whichever goes first, A's code is right: B dies, and C too if B was quicker.
        assert responses[0].status_code == 201
        assert responses[1].status_code in (201, 409)
        assert not fresh(b).alive and fresh(a).alive
        assert fresh(c).alive == (responses[1].status_code == 409)
        assert_whole(game)


def test_a_double_confirmation_counts_once():
    game, (killer, victim, *_rest) = a_running_chain()
    kill = rules.kill_declare(killer=killer, actor="killer")
    phone, laptop = login(Client(), victim), login(Client(), victim)
    path = f"/api/kills/{kill.pk}/confirm"
    responses = posted_at_once((phone, path, {}), (laptop, path, {}))
    assert statuses(responses) == [200, 409]
    assert fresh(killer).kill_count == 1
    assert Kill.objects.confirmed().count() == 1
    assert_whole(game)


def test_a_double_declaration_makes_one_claim_and_both_get_it():
    game, (killer, victim, *_rest) = a_running_chain()
    phone, laptop = login(Client(), killer), login(Client(), killer)
    body = {"target": str(victim.pk)}
    responses = posted_at_once((phone, "/api/kills", body), (laptop, "/api/kills", body))
    assert statuses(responses) == [201, 201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert Kill.objects.open().filter(victim=victim).count() == 1


def test_everybody_reporting_their_death_at_once_leaves_one_winner():
    game, chain = a_running_chain(players=8)
    responses = posted_at_once(*[(login(Client(), player), "/api/death", {}) for player in chain])
    assert all(response.status_code in (201, 409) for response in responses)
    game = fresh(game)
    assert game.status == "finished"
    assert Player.objects.filter(game=game, alive=True).count() == 1
    assert game.winner.alive
    assert sum(Player.objects.filter(game=game).values_list("kill_count", flat=True)) == 7


def test_kills_all_around_the_chain_at_once_never_fail_with_a_500():
    game, chain = a_running_chain(players=10)
    requests = [
        (login(Client(), hunter), "/api/kills", {"death_code": target.death_code})
        for hunter, target in zip(chain, chain[1:] + chain[:1], strict=True)
    ]
    responses = posted_at_once(*requests)
    assert all(response.status_code in (201, 400, 409) for response in responses), statuses(responses)
    dead = Player.objects.filter(game=game, alive=False).count()
    assert dead == sum(response.status_code == 201 for response in responses)
    assert dead == Kill.objects.confirmed().filter(game=game).count()
    assert_whole(game)
