"""What a player can see: their own target, mission, codes and kills, and nothing of anyone else's.

Every cast member logs in and fetches every player page and API endpoint; no other player's login
code, death code, mission or target shows up anywhere."""

import pytest
from django.test import Client

from game import codes, rules
from game.models import Kill, Player
from tests.conftest import fresh, login

pytestmark = pytest.mark.django_db

PAGES = ["/", "/me/", "/me/notices/", "/leaderboard/", "/results/", "/rules/"]
API = ["/api/me", "/api/leaderboard", "/api/feed"]


def everything_seen_by(player):
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), player)
    bodies = {}
    for path in PAGES + API:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        bodies[path] = response.content.decode()
    return bodies


def secrets_of(player):
    return [
        player.login_code,
        codes.display(player.login_code),
        player.death_code,
        codes.display(player.death_code),
    ]


@pytest.fixture
def busy_cast(cast):
    """A confirmed kill (the bystander reported their death: the victim now hunts the hunter) and a
    pending claim (killer → victim)."""
    rules.death_report(victim=cast.bystander, actor="test")
    rules.kill_declare(killer=cast.killer, actor="test")
    for name in ("killer", "victim", "bystander", "hunter"):
        setattr(cast, name, fresh(getattr(cast, name)))
    return cast


def test_nobody_sees_anyone_elses_codes(busy_cast):
    cast = busy_cast
    everyone = [cast.killer, cast.victim, cast.bystander, cast.hunter]
    for player in everyone:
        seen = "\n".join(everything_seen_by(player).values())
        assert codes.display(player.death_code) in seen
        for other in everyone:
            if other != player:
                for secret in secrets_of(other):
                    assert secret not in seen, (player.name, other.name)
        # Nobody is ever shown a login code, not even their own: it is on their card.
        assert player.login_code not in seen and codes.display(player.login_code) not in seen


def test_nobody_sees_anyone_elses_mission(busy_cast):
    cast = busy_cast
    alive = list(cast.game.players.alive().select_related("mission"))
    for player in alive:
        seen = "\n".join(everything_seen_by(player).values())
        mine = {player.mission.text}
        # The victim of a claim reads the mission performed on them: that is how they judge it.
        claim = Kill.objects.open().filter(victim=player).first()
        if claim:
            mine.add(claim.mission_text)
        for other in alive:
            if other.mission.text not in mine:
                assert other.mission.text not in seen, (player.name, other.name)


def test_the_api_shows_only_my_own_target(busy_cast):
    for player in busy_cast.game.players.all():
        client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), player)
        me = client.get("/api/me").json()
        if player.alive:
            assert me["target"]["name"] == player.target.name
        else:
            assert me["target"] is None and me["mission"] is None
        assert set(me) == {"player", "game", "target", "mission", "kill_against_me", "my_kill", "notices"}
        assert all(set(notice) == {"id", "kind", "at", "text"} for notice in me["notices"])
        assert set(me["player"]) == {
            "id",
            "name",
            "group",
            "alive",
            "dropped_out",
            "kills",
            "eliminated_at",
            "death_code",
        }


def test_the_dashboard_names_only_my_target_and_the_players_of_my_own_claims(busy_cast):
    cast = busy_cast
    names = {p.pk: p.name for p in cast.game.players.all()}
    for player in cast.game.players.alive():
        seen = everything_seen_by(player)
        page = seen["/me/"] + seen["/me/notices/"]
        # The players I eliminated, named in my notices: out of the game, nobody hunts them.
        allowed = {
            player.pk,
            player.target_id,
            *player.kills_made.confirmed().values_list("victim_id", flat=True),
        }
        allowed |= set(Kill.objects.open().filter(victim=player).values_list("killer_id", flat=True))
        allowed |= set(Kill.objects.open().filter(killer=player).values_list("victim_id", flat=True))
        for pk, name in names.items():
            if pk not in allowed:
                assert name not in page, (player.name, name)


def test_the_feed_never_reveals_a_living_players_target(busy_cast, django_capture_on_commit_callbacks):
    cast = busy_cast
    for mode in (True, False):
        # Through the rules, as the admin does it: the change bumps the version the feed is cached by.
        with django_capture_on_commit_callbacks(execute=True):
            rules.game_set_options(
                game=cast.game,
                actor="gm",
                confirmation_mode=cast.game.confirmation_mode,
                feed_names_killers=mode,
                killer_inherits_mission=cast.game.killer_inherits_mission,
            )
        feed = login(Client(), cast.hunter).get("/api/feed").json()
        for entry in feed["kills"]:
            assert set(entry) == {"at", "victim", "killer"}
            # Only confirmed kills: a victim in the feed is out, so nobody is hunting them now.
            assert not Player.objects.get(game=cast.game, name=entry["victim"]).alive
            if not mode:
                assert entry["killer"] is None
        # The pending claim (killer → victim) is not in it: that would tell who hunts the victim.
        assert cast.victim.name not in [entry["victim"] for entry in feed["kills"]]


def test_only_the_victim_can_answer_a_kill_by_its_id(busy_cast):
    cast = busy_cast
    kill = Kill.objects.get(status=Kill.Status.PENDING)
    for player in (cast.killer, cast.hunter, cast.bystander):
        client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), player)
        for action in ("confirm", "deny"):
            response = client.post(f"/api/kills/{kill.pk}/{action}", content_type="application/json")
            assert response.status_code == 404 and response.json() == {"error": "Not found."}
            assert client.post(f"/me/kills/{kill.pk}/{action}/").status_code == 404
    # The same answer as for an id that does not exist: ids tell nothing.
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.hunter)
    missing = client.post("/api/kills/987654/confirm", content_type="application/json")
    assert missing.status_code == 404 and missing.json() == {"error": "Not found."}
    assert fresh(kill).status == Kill.Status.PENDING and fresh(cast.victim).alive
