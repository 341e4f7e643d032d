"""A player's own timeline: the notices the kill rules record, for whom, and how they read."""

import pytest
from django.dispatch import receiver
from django.test import Client
from django.utils import translation

from game import notices, rules
from game.models import Notice
from tests.conftest import fresh, login

pytestmark = pytest.mark.django_db


def texts(player, language="en"):
    with translation.override(language):
        return [(n["kind"], n["text"]) for n in notices.latest(fresh(player), length=100)]


def test_a_declared_kill_tells_the_victim_and_no_one_else(cast):
    rules.kill_declare(killer=cast.killer, actor="player")
    assert texts(cast.victim) == [
        ("claim_on_you", "Killer says they completed their mission on you: confirm or deny it.")
    ]
    assert texts(cast.killer) == texts(cast.bystander) == texts(cast.hunter) == []


def test_a_confirmed_kill_tells_the_killer_and_the_victim(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="player")
    rules.kill_confirm(kill=kill, actor="player")
    assert texts(cast.killer) == [
        ("new_target", "You have a new target: the one Victim hunted."),
        ("claim_confirmed", "Your kill on Victim is confirmed."),
    ]
    assert texts(cast.victim)[0] == ("eliminated", "You were eliminated by Killer.")
    assert texts(cast.bystander) == texts(cast.hunter) == []


def test_a_denied_kill_tells_the_killer(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="player")
    rules.kill_deny(kill=kill, actor="player")
    assert texts(cast.killer) == [("claim_denied", "Victim denied your kill: a game master will settle it.")]


def test_a_rejected_kill_tells_the_killer_why(cast):
    kill = rules.kill_declare(killer=cast.killer, actor="player")
    rules.kill_reject(kill=kill, actor="gm:gm", reason="Nobody saw it")
    assert texts(cast.killer) == [
        ("claim_rejected", "A game master rejected your kill on Victim: Nobody saw it")
    ]
    assert texts(cast.killer, "fr") == [
        ("claim_rejected", "Un maître du jeu a rejeté votre élimination de Victim : Nobody saw it")
    ]


def test_an_undone_kill_tells_the_killer(cast):
    kill = rules.kill_force(victim=cast.victim, actor="gm:gm")
    rules.kill_undo(kill=kill, actor="gm:gm", reason="Wrong player")
    assert texts(cast.killer)[0] == (
        "claim_undone",
        "A game master took back your kill on Victim: Wrong player",
    )


def test_notices_read_in_the_readers_language(cast):
    rules.death_report(victim=cast.victim, actor="player")
    assert texts(cast.victim, "fr") == [("eliminated", "Killer vous a mis hors jeu.")]
    assert texts(cast.killer, "fr")[1] == ("claim_confirmed", "Votre élimination de Victim est confirmée.")


def test_a_game_that_keeps_killers_secret_never_names_the_victims_hunter(make_cast):
    cast = make_cast(players=5, feed_names_killers=False)
    rules.death_report(victim=cast.victim, actor="player")
    everyone = cast.game.players.all()
    for player in everyone:
        for language in ("en", "fr"):
            for _kind, text in texts(player, language):
                # Only the killer reads their own name, on their own kill.
                assert "Killer" not in text or player.pk == cast.killer.pk, (player, text)
    assert texts(cast.victim) == [("eliminated", "You were eliminated.")]
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.victim)
    page = client.get("/me/notices/").content.decode()
    assert "You were eliminated." in page
    assert "Killer" not in page[page.index("<main") : page.index("</main>")]  # the site's name is Killer
    assert "Killer" not in client.get("/api/me").content.decode()


def test_the_rule_sends_its_notices_once_inside_its_transaction(cast, django_capture_on_commit_callbacks):
    sent = []

    @receiver(rules.notices_recorded)
    def record(sender, game, notices, **kwargs):
        sent.append((game.pk, [(n.player_id, n.kind) for n in notices], Notice.objects.count()))

    try:
        rules.death_report(victim=cast.victim, actor="player")
    finally:
        rules.notices_recorded.disconnect(record)
    assert sent == [
        (
            cast.game.pk,
            [
                (cast.killer.pk, "claim_confirmed"),
                (cast.victim.pk, "eliminated"),
                (cast.killer.pk, "new_target"),
            ],
            3,
        )
    ]


def test_the_newest_notices_ride_in_api_me_and_an_unchanged_page_stays_a_304(client, cast):
    login(client, cast.killer)
    tag = client.get("/api/me")["ETag"]
    rules.kill_reject(kill=rules.kill_declare(killer=cast.killer, actor="player"), actor="gm", reason="No")
    response = client.get("/api/me", HTTP_IF_NONE_MATCH=tag)
    assert response.status_code == 200
    assert response.json()["notices"][0]["text"] == "A game master rejected your kill on Victim: No"
    assert client.get("/api/me", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    # A change that tells the killer nothing leaves their page a 304.
    rules.mission_add(game=cast.game, text="Sing", actor="gm")
    assert client.get("/api/me", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_the_dashboard_shows_the_news_and_links_the_whole_list(client, cast):
    login(client, cast.killer)
    rules.kill_reject(kill=rules.kill_declare(killer=cast.killer, actor="player"), actor="gm", reason="No")
    page = client.get("/me/").content.decode()
    assert "A game master rejected your kill on Victim: No" in page
    assert 'href="/me/notices/"' in page
    assert "A game master rejected your kill on Victim: No" in client.get("/me/notices/").content.decode()


def test_an_erased_game_keeps_the_notices_without_names_or_reasons(cast, django_capture_on_commit_callbacks):
    kill = rules.kill_declare(killer=cast.killer, actor="player")
    rules.kill_reject(kill=kill, actor="gm:gm", reason="Victim was in class")
    rules.game_finish(game=cast.game, actor="gm:gm")
    rules.game_erase_personal_data(game=cast.game, actor="gm:gm")
    assert texts(cast.killer) == [("claim_rejected", "A game master rejected your kill on Player 2.")]


def test_renaming_a_player_moves_the_etag_of_whoever_reads_their_name_in_a_notice(cast):
    rules.death_report(victim=cast.victim, actor="player")
    before = fresh(cast.killer).version
    # The victim is out: no longer on the killer's page, only in the killer's notices.
    rules.player_update(player=cast.victim, actor="gm:gm", name="Vicky")
    assert fresh(cast.killer).version > before
    assert texts(cast.killer)[1] == ("claim_confirmed", "Your kill on Vicky is confirmed.")
