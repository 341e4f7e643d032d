"""Hostile text: HTML, huge strings, control characters and direction marks are refused where text
comes in, and whatever is already stored renders as plain text on every page, in the API and in CSV."""

import csv
import io
import json

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client

from game import csv_io, rules
from game.models import Game, Kill, Mission, Player
from game.validators import validate_plain_text
from tests.conftest import login

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RLO = "evil\u202egro.com"
NUL = "nul\x00byte"


@pytest.fixture
def hostile(cast):
    """Names and missions full of markup, as if they had got in before the validators existed."""
    Player.objects.filter(pk=cast.victim.pk).update(name=SCRIPT, group=IMG)
    Player.objects.filter(pk=cast.killer.pk).update(name=IMG)
    Mission.objects.filter(pk=cast.killer.mission_id).update(text=SCRIPT + " " + IMG)
    Game.objects.filter(pk=cast.game.pk).update(name=SCRIPT)
    return cast


def assert_harmless(html):
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html


def test_markup_in_names_and_missions_is_escaped_on_every_player_page(hostile):
    rules.kill_declare(killer=hostile.killer, actor="test")
    for player in (hostile.killer, hostile.victim):
        client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), player)
        for path in ("/me/", "/leaderboard/", "/rules/"):
            page = client.get(path).content.decode()
            assert_harmless(page)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/leaderboard/").content.decode()


def test_the_api_returns_markup_as_json_strings(hostile):
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), hostile.killer)
    response = client.get("/api/me")
    assert response["Content-Type"] == "application/json"
    assert response.json()["target"]["name"] == SCRIPT


def test_markup_is_escaped_in_the_admin_and_on_the_cards(gm_client, hostile):
    rules.kill_declare(killer=hostile.killer, actor="test")
    game = hostile.game.pk
    for path in (
        f"/admin/game/game/{game}/dashboard/",
        f"/admin/game/game/{game}/chain/",
        f"/admin/game/game/{game}/cards/",
        "/admin/game/player/",
        f"/admin/game/player/{hostile.victim.pk}/change/",
        "/admin/game/kill/",
        "/admin/game/event/",
        "/admin/game/mission/",
    ):
        response = gm_client.get(path)
        assert response.status_code == 200, path
        assert_harmless(response.content.decode())


@pytest.mark.parametrize(
    "text",
    [
        *(NUL, RLO, "tab\there", "line\nbreak", "esc\x1b[31m", "\u2066isolate"),
        # Invisible: two players named so look like "Lucas".
        *("Lu\u200bcas", "Lu\u00adcas", "Lucas\U000e0041", "Lucas\u2028", "Lucas\u2029", "\ufeffLucas"),
    ],
)
def test_the_validator_refuses_control_invisible_characters_and_direction_marks(text):
    with pytest.raises(ValidationError):
        validate_plain_text(text)


@pytest.mark.parametrize("text", [SCRIPT, IMG, "Zoé Ñúñez", "עברית", "👩‍👩‍👧 family", "O'Brien & co"])
def test_the_validator_lets_ordinary_text_through(text):
    validate_plain_text(text)


@pytest.mark.parametrize("name", [NUL, RLO, "", "x" * 101])
def test_a_rule_refuses_a_bad_name_from_any_caller(cast, name):
    with pytest.raises(rules.RuleError):
        rules.player_join(game=cast.game, name=name, actor="sync")
    assert cast.game.players.count() == 4


def test_the_admin_forms_refuse_control_characters(gm_client, cast):
    response = gm_client.post(
        "/admin/game/player/add/", {"game": cast.game.pk, "name": RLO, "email": "", "group": ""}
    )
    assert response.status_code == 200
    assert "Control characters" in response.content.decode()
    assert not Player.objects.filter(name=RLO).exists()
    response = gm_client.post(
        f"/admin/game/player/{cast.victim.pk}/force-kill/", {"reason": "cheated\x00"}, follow=False
    )
    assert response.status_code == 200 and cast.victim.__class__.objects.get(pk=cast.victim.pk).alive


def test_the_admin_mission_form_refuses_them_too(gm_client, cast):
    response = gm_client.post(
        "/admin/game/mission/add/", {"game": cast.game.pk, "text": "say " + RLO, "active": "on"}
    )
    assert response.status_code == 200
    assert not Mission.objects.filter(text__contains="\u202e").exists()


def test_the_csv_import_refuses_control_characters_line_by_line(cast):
    result = csv_io.read_players(f"name,group\nAlice,A\nBob{RLO},B\nCarl,\u202eC\n", game=cast.game)
    assert not result.ok
    assert [bool(row.errors) for row in result.rows] == [False, True, True]


def test_the_csv_import_refuses_a_huge_text(gm_client, cast):
    response = gm_client.post(
        f"/admin/game/game/{cast.game.pk}/import/", {"csv_text": "name\n" + "x," * 600_000}
    )
    assert response.status_code == 200
    assert "larger than 1 MB" in response.content.decode()
    assert cast.game.players.count() == 4


def test_csv_exports_neutralise_formulas(gm_client, cast):
    for i, text in enumerate(['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]):
        Player.objects.create(game=cast.game, name=text, group=f"g{i}")
    Player.objects.filter(pk=cast.victim.pk).update(name="=cmd|' /C calc'!A0")
    rules.kill_force(victim=cast.victim, actor="gm", reason="=1+1")
    for path in ("players.csv", "kills.csv"):
        response = gm_client.get(f"/admin/game/game/{cast.game.pk}/export/{path}")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (path, cell)
    assert csv_io.safe_cell("=1+1") == "'=1+1"
    assert csv_io.safe_cell("Zoé") == "Zoé"


def test_a_very_long_name_is_refused_everywhere_it_comes_in(gm_client, cast):
    response = gm_client.post("/admin/game/player/add/", {"game": cast.game.pk, "name": "x" * 101})
    assert response.status_code == 200
    assert not Player.objects.filter(name="x" * 101).exists()


def test_page_forms_answer_bad_input_with_a_4xx_or_a_message(cast):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.post("/", {"code": "x" * 10_000}).status_code == 400
    assert client.post("/", {}).status_code == 400
    assert client.post("/", {"code": NUL}).status_code == 400
    assert client.get("/login/AB%00CD/").status_code == 400
    api = client.post("/api/login", {"code": NUL}, content_type="application/json")
    assert api.status_code == 400 and api.json() == {"error": "Unknown code."}
    client.post("/", {"code": cast.killer.login_code})
    for body in ({"death_code": "x" * 10_000}, {}, {"death_code": NUL}, {"death_code": "é" + RLO}):
        response = client.post("/me/death-code/", body, follow=True)
        assert response.status_code == 200
        assert "not your target" in response.content.decode()
    assert client.post("/me/kills/abc/confirm/").status_code == 404
    assert client.get("/me/declare/").status_code == 405


def test_the_api_answers_a_form_body_or_deep_nesting_with_a_400(cast):
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    form = client.post("/api/kills", {"death_code": "x"})
    assert form.status_code == 400 and "JSON" in form.json()["error"]
    deep = client.post("/api/kills", "[" * 2000 + "]" * 2000, content_type="application/json")
    assert deep.status_code == 400


def test_a_death_code_with_non_ascii_characters_is_just_wrong(cast):
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    response = client.post("/api/kills", {"death_code": "ÉÀ‮"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": "That is not your target's death code."}


def test_a_nul_in_a_url_is_a_400_not_a_database_error(gm_client, cast):
    for path in ("/admin/game/player/?q=%00", "/admin/game/player/?group=%00", "/admin/game/event/?q=a%00b"):
        assert gm_client.get(path).status_code == 400, path
    assert gm_client.get("/admin/game/player/?q=ordinary").status_code == 200
    api = Client().get("/api/feed?x=%00")
    assert api.status_code == 400 and api.json() == {"error": "Bad request."}


def test_a_body_over_djangos_limit_is_a_413_that_changes_nothing(cast):
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    huge = json.dumps({"death_code": "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = client.post("/api/kills", huge, content_type="application/json")
    assert response.status_code == 413 and "too large" in response.json()["error"]
    assert not Kill.objects.exists()


@pytest.mark.parametrize("path", ["/api/kills", "/api/login"])
def test_a_lone_surrogate_is_a_400_that_changes_nothing(cast, path):
    client = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    field = "death_code" if path == "/api/kills" else "code"
    body = '{"' + field + '": "AB\\ud800CD"}'  # JSON's escape for a lone surrogate
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()
    assert not Kill.objects.exists()
