"""The admin's Export (JSON) on a game's dashboard, and its Import a game page: upload, preview, confirm."""

import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from game import transfer
from game.models import Event, Game

IMPORT_URL = reverse("admin:game_game_import_game")


def upload(client, content, *, what="everything", name=""):
    data = json.dumps(content).encode() if isinstance(content, dict) else content
    return client.post(
        IMPORT_URL,
        {
            "file": SimpleUploadedFile("spring.json", data, content_type="application/json"),
            "what": what,
            "name": name,
        },
    )


def confirm(client, response, **headers):
    """Post the preview's button as a browser would."""
    token = re.search(r'<input type="hidden" name="token" value="([^"]+)">', response.content.decode())[1]
    return client.post(IMPORT_URL, {"token": token}, **headers)


@pytest.fixture
def document(running_game):
    return transfer.export_game(running_game)


def test_the_dashboard_offers_the_json_export(gm_client, running_game):
    response = gm_client.get(reverse("admin:game_game_dashboard", args=[running_game.pk]))

    assert reverse("admin:game_game_export_json", args=[running_game.pk]).encode() in response.content


def test_the_json_export_downloads_the_whole_game(gm_client, running_game):
    response = gm_client.get(reverse("admin:game_game_export_json", args=[running_game.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="game-{running_game.pk}.json"'
    document = json.loads(response.content)
    assert (document["format"], document["version"], document["game"]["name"]) == (
        "killer-game",
        1,
        "Spring game",
    )
    assert len(document["players"]) == 4


def test_the_json_export_needs_the_right_to_view_every_part(client, game_master, running_game):
    game_master.user_permissions.remove(Permission.objects.get(codename="view_event"))
    client.force_login(game_master)

    response = client.get(reverse("admin:game_game_export_json", args=[running_game.pk]))

    assert response.status_code == 403


def test_the_game_list_links_to_the_import_page(gm_client):
    response = gm_client.get(reverse("admin:game_game_changelist"))

    assert IMPORT_URL.encode() in response.content


def test_upload_shows_a_preview_and_creates_nothing_yet(gm_client, document):
    response = upload(gm_client, document, name="Moved game")

    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.name, preview.status, preview.players, preview.kills) == ("Moved game", "running", 4, 0)
    assert preview.new_codes == 4  # the original holds the codes on this server
    assert b"they will get new codes" in response.content
    assert Game.objects.count() == 1


def test_confirming_the_preview_creates_the_game(gm_client, document, running_game):
    response = confirm(
        gm_client, upload(gm_client, document, name="Moved game"), HTTP_X_REQUEST_ID="import-request-1"
    )

    game = Game.objects.get(name="Moved game")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:game_game_dashboard", args=[game.pk])
    assert game.status == Game.Status.RUNNING
    assert game.players.count() == 4
    event = game.events.get(kind=transfer.IMPORT_EVENT)
    assert (event.actor, event.data["source"], event.request_id) == (
        "gm:gm",
        "spring.json",
        "import-request-1",
    )
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "4 players had a login or death code already used on this server" in messages[1]


def test_the_setup_only_makes_a_draft(gm_client, document):
    confirm(gm_client, upload(gm_client, document, what="setup", name="Next year"))

    game = Game.objects.get(name="Next year")
    assert game.status == Game.Status.SETUP
    assert list(game.events.values_list("kind", flat=True)) == [transfer.IMPORT_EVENT]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not json", "This file is not JSON text: not a Killer game file."),
        (
            {"format": "killer-game", "version": 7},
            "This game file is version 7; this server reads version 1.",
        ),
    ],
)
def test_a_bad_file_says_what_is_wrong_and_creates_nothing(gm_client, running_game, content, message):
    response = upload(gm_client, content)

    assert response.status_code == 200
    assert response.context["preview"] is None
    assert message in response.content.decode()
    assert b'name="token"' not in response.content
    assert Game.objects.count() == 1


def test_a_changed_preview_is_refused(gm_client, document):
    response = gm_client.post(IMPORT_URL, {"token": "forged"})

    assert response.status_code == 302
    assert Game.objects.count() == 1
    assert "This preview is out of date" in str(list(response.wsgi_request._messages)[0])


def test_staff_without_the_right_to_add_games_are_refused(client, game_master, document):
    game_master.user_permissions.remove(Permission.objects.get(codename="add_game"))
    client.force_login(game_master)

    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, document).status_code == 403
    assert Game.objects.count() == 1
    assert not Event.objects.filter(kind=transfer.IMPORT_EVENT).exists()
