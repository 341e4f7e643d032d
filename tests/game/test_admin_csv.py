"""Importing players from a CSV file, and exporting players and kills as CSV."""

import csv
import html
import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from game import rules
from game.csv_io import safe_cell
from game.models import Event, Player


def upload(client, game, content, encoding="utf-8"):
    data = content.encode(encoding) if isinstance(content, str) else content
    return client.post(
        reverse("admin:game_game_import", args=[game.pk]),
        {"file": SimpleUploadedFile("players.csv", data, content_type="text/csv")},
    )


def confirm(client, game, response):
    """Post back the preview's hidden text as a browser would: unescaped, without the first newline."""
    hidden = re.search(
        r'<textarea name="csv_text" hidden>\n(.*?)</textarea>', response.content.decode(), re.S
    )
    return client.post(
        reverse("admin:game_game_import", args=[game.pk]), {"csv_text": html.unescape(hidden[1])}
    )


GOOD = 'name,email,group\nAnn Lee,ann@example.com,6B\n"Roy, Bob",,<6C & 6D>\n'


def test_upload_shows_a_preview_and_imports_nothing_yet(gm_client, setup_game):
    response = upload(gm_client, setup_game, GOOD)

    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok
    assert [(r.line, r.name, r.email, r.group) for r in result.rows] == [
        (2, "Ann Lee", "ann@example.com", "6B"),
        (3, "Roy, Bob", "", "<6C & 6D>"),
    ]
    assert not setup_game.players.exists()


def test_confirming_the_preview_imports_the_players(gm_client, setup_game):
    response = confirm(gm_client, setup_game, upload(gm_client, setup_game, GOOD))

    assert response.status_code == 302
    assert list(setup_game.players.values_list("name", "email", "group")) == [
        ("Ann Lee", "ann@example.com", "6B"),
        ("Roy, Bob", "", "<6C & 6D>"),
    ]
    assert Event.objects.filter(kind="player_joined", actor="gm:gm").count() == 2


def test_import_into_a_running_game_keeps_the_chain_whole(gm_client, running_game):
    confirm(gm_client, running_game, upload(gm_client, running_game, GOOD))

    assert running_game.players.count() == 6
    assert rules.chain_problems(running_game) == []


def test_a_malformed_file_imports_nothing_and_says_what_is_wrong_on_each_row(gm_client, setup_game):
    content = (
        "nom;courriel;groupe\n"
        "Ann Lee;ann@example.com;6B\n"
        ";nobody@example.com;6B\n"
        "Cy Doe;not-an-email;6C\n"
        "Dee Ray;ann@example.com;6C\n"
        "Eve;eve@example.com\n"
    )

    response = upload(gm_client, setup_game, content)

    result = response.context["result"]
    assert not result.ok
    assert {row.line: row.errors for row in result.rows if row.errors} == {
        3: ["The name is missing."],
        4: ["“not-an-email” is not an email address."],
        5: ["This email address is used twice."],
        6: ["Expected 3 columns, found 2."],
    }
    assert b"nothing was imported" in response.content
    assert b'name="csv_text"' not in response.content
    assert not setup_game.players.exists()


def test_posting_a_malformed_text_directly_imports_nothing(gm_client, setup_game):
    response = gm_client.post(
        reverse("admin:game_game_import", args=[setup_game.pk]),
        {"csv_text": "name,email\nAnn,ann@example.com\nBob\n"},
    )

    assert response.status_code == 200
    assert not setup_game.players.exists()


def test_a_file_without_a_header_is_refused(gm_client, setup_game):
    response = upload(gm_client, setup_game, "Ann Lee,ann@example.com,6B\n")

    assert response.context["result"].errors == [
        "The first line must name the columns: name, email, group (or nom, courriel, groupe). "
        "It holds: Ann Lee, ann@example.com, 6B."
    ]
    assert not setup_game.players.exists()


def test_doubled_quotes_inside_a_quoted_name_come_out_as_one(gm_client, setup_game):
    # As spreadsheet programs write a name with quotes in it.
    response = upload(gm_client, setup_game, 'name,email,group\n"Jean ""JJ"" Dupont",jj@example.com,6B\n')

    [row] = response.context["result"].rows
    assert (row.name, row.email, row.group, row.errors) == ('Jean "JJ" Dupont', "jj@example.com", "6B", [])


def test_blank_lines_above_the_header_are_skipped(gm_client, setup_game):
    response = upload(gm_client, setup_game, "\n  \nnom;courriel;groupe\nAnn Lee;ann@example.com;6B\n")

    result = response.context["result"]
    assert result.ok
    assert [(row.line, row.name) for row in result.rows] == [(4, "Ann Lee")]


def test_a_very_long_name_does_not_stretch_the_preview(gm_client, setup_game):
    response = upload(gm_client, setup_game, "name\n" + "A" * 300 + "\n")

    assert "The name is longer than 100 characters." in response.context["result"].rows[0].errors
    page = response.content.decode()
    assert "A" * 101 not in page and "A" * 100 + "…" in page


def test_an_email_already_in_the_game_is_refused(gm_client, setup_game):
    Player.objects.create(game=setup_game, name="Ann", email="ANN@example.com")

    response = upload(gm_client, setup_game, GOOD)

    assert response.context["result"].rows[0].errors == ["This email address is used twice."]


def test_a_windows_1252_file_from_french_excel(gm_client, setup_game):
    response = upload(gm_client, setup_game, "nom;groupe\nAnaïs Théry;5ème A\n", encoding="cp1252")

    assert [(r.name, r.group) for r in response.context["result"].rows] == [("Anaïs Théry", "5ème A")]


def test_importing_into_a_finished_game_is_refused_with_a_message(gm_client, running_game):
    preview = upload(gm_client, running_game, GOOD)
    rules.game_finish(game=running_game, actor="gm:gm")

    response = gm_client.post(
        reverse("admin:game_game_import", args=[running_game.pk]),
        {"csv_text": preview.context["csv_text"]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["The game is finished."]
    assert running_game.players.count() == 4


def read_csv(response):
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode(
        "utf-8-sig"
    )
    return list(csv.reader(io.StringIO(text)))


def test_export_players_neutralises_formulas(gm_client, running_game, victim):
    Player.objects.filter(pk=victim.pk).update(name='=HYPERLINK("http://evil")', group="+33", email="@x")

    response = gm_client.get(reverse("admin:game_game_export_players", args=[running_game.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert rows[0] == [
        "name",
        "email",
        "group",
        "alive",
        "dropped_out",
        "kills",
        "eliminated_at",
        "login_link",
    ]
    victim_row = next(row for row in rows if "HYPERLINK" in row[0])
    assert victim_row[:3] == ['\'=HYPERLINK("http://evil")', "'@x", "'+33"]
    assert victim_row[7] == f"http://testserver/login/#{victim.login_code}"


def test_export_kills(gm_client, running_game, killer, victim, django_assert_max_num_queries):
    rules.kill_force(victim=victim, actor="gm:gm", reason="-1 point")

    with django_assert_max_num_queries(6):
        response = gm_client.get(reverse("admin:game_game_export_kills", args=[running_game.pk]))

    rows = read_csv(response)
    assert len(rows) == 2
    assert rows[1][1:8] == [
        "Killer",
        "Victim",
        rows[1][3],
        "game_master",
        "confirmed",
        "'-1 point",
        rows[1][7],
    ]


def test_export_players_of_a_big_game_costs_a_few_queries(gm_client, big_game, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = gm_client.get(reverse("admin:game_game_export_players", args=[big_game.pk]))

    assert len(read_csv(response)) == 1001


def test_safe_cell_leaves_plain_text_alone():
    assert safe_cell("Ann") == "Ann"
    assert safe_cell(3) == "3"
    assert safe_cell(None) == ""
    assert safe_cell("-2") == "'-2"


def test_an_unknown_column_is_refused(gm_client, setup_game):
    response = upload(gm_client, setup_game, "name,phone\nAnn,0600000000\n")

    assert response.context["result"].errors == ["Unknown columns: phone."]
