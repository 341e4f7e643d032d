"""The real gspread client against the stand-in, logged in as a service account through /token.

The transport adapter below only swaps Google's hosts for the stand-in's URL, as sheets_sync/client.py
does for the app; everything else is gspread and google-auth as they run against Google. It is mounted
on google-auth's own session too, for the token and for the lookups some google-auth releases make in
the background after a refresh (iamcredentials.googleapis.com, which the stand-in also answers): what
the product needs is a token fetched once and sent with every call, not whether a release makes them.
"""

import gspread
import pytest
import requests
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2.service_account import Credentials
from requests.adapters import HTTPAdapter

GOOGLE_HOSTS = (
    "https://sheets.googleapis.com",
    "https://www.googleapis.com",
    "https://iamcredentials.googleapis.com",
)


class StandInAdapter(HTTPAdapter):
    # google-auth deep-copies its session for the background location lookup: keep the URL in copies.
    __attrs__ = [*HTTPAdapter.__attrs__, "stand_in_url"]

    def __init__(self, url):
        super().__init__()
        self.stand_in_url = url

    def send(self, request, *args, **kwargs):
        for host in GOOGLE_HOSTS:
            if request.url.startswith(host):
                request.url = self.stand_in_url + request.url.removeprefix(host)
        return super().send(request, *args, **kwargs)


def stand_in_session(credentials, url):
    auth_session = requests.Session()
    session = AuthorizedSession(credentials, auth_request=Request(auth_session))
    for each in (auth_session, session):
        for host in GOOGLE_HOSTS:
            each.mount(host, StandInAdapter(url))
    return session


@pytest.fixture
def client(sheets_emulator):
    credentials = Credentials.from_service_account_info(
        sheets_emulator.service_account_info(), scopes=gspread.auth.DEFAULT_SCOPES
    )
    return gspread.Client(auth=None, session=stand_in_session(credentials, sheets_emulator.url))


def test_gspread_creates_writes_and_reads_back(client, sheets_emulator):
    spreadsheet = client.create("Killer game")
    sheet = spreadsheet.sheet1
    sheet.update([["Name", "Kills", "Alive"], ["Ada", "3", "TRUE"]], "A1", value_input_option="USER_ENTERED")
    sheet.append_row(["Bob", 0, False], value_input_option="RAW")

    assert sheet.get_all_values() == [["Name", "Kills", "Alive"], ["Ada", "3", "TRUE"], ["Bob", "0", "FALSE"]]
    assert sheet.get_all_records(numericise_ignore=["all"]) == [
        {"Name": "Ada", "Kills": "3", "Alive": "TRUE"},
        {"Name": "Bob", "Kills": "0", "Alive": "FALSE"},
    ]
    assert sheet.acell("B2", value_render_option="UNFORMATTED_VALUE").value == 3
    assert client.open("Killer game").id == spreadsheet.id


def test_one_service_account_token_is_fetched_and_sent_with_every_call(client, sheets_emulator):
    sent = []
    client.http_client.session.hooks["response"].append(
        lambda response, *args, **kwargs: sent.append(response.request.headers.get("Authorization"))
    )
    spreadsheet = client.create("Killer game")
    spreadsheet.sheet1.update([["Ada"]], "A1")
    spreadsheet.sheet1.get_all_values()

    token = client.http_client.session.credentials.token
    assert token.startswith("emulator-")  # issued by the stand-in's /token for the signed JWT
    assert len(sent) >= 3 and set(sent) == {f"Bearer {token}"}
    assert sheets_emulator.stats()["by_kind"]["oauth.token"] == 1


def test_gspread_manages_worksheets(client):
    spreadsheet = client.create("Killer game")
    players = spreadsheet.add_worksheet("Players", rows=10, cols=5)
    players.update_title("Joueurs")
    players.resize(rows=3)
    spreadsheet.del_worksheet(spreadsheet.sheet1)

    assert [sheet.title for sheet in spreadsheet.worksheets()] == ["Joueurs"]
    assert (players.row_count, players.col_count) == (3, 5)


def test_gspread_sees_googles_errors(client):
    spreadsheet = client.create("Killer game")

    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key("no-such-spreadsheet")
    with pytest.raises(gspread.exceptions.APIError) as raised:
        spreadsheet.sheet1.get("AA1:AB2")
    assert raised.value.response.json()["error"] == {
        "code": 400,
        "message": "Range (Sheet1!AA1:AB2) exceeds grid limits. Max rows: 1000, max columns: 26",
        "status": "INVALID_ARGUMENT",
    }


def test_the_token_endpoint_wants_a_jwt_bearer_grant(sheets_emulator):
    wrong = requests.post(f"{sheets_emulator.url}/token", data={"grant_type": "password"}, timeout=5)
    empty = requests.post(
        f"{sheets_emulator.url}/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"},
        timeout=5,
    )

    assert (wrong.status_code, wrong.json()["error"]) == (400, "unsupported_grant_type")
    assert (empty.status_code, empty.json()["error"]) == (400, "invalid_request")


def test_gspread_shares_and_formats_without_changing_values(client):
    spreadsheet = client.create("Killer game")
    sheet = spreadsheet.sheet1
    sheet.update([["Name", "Kills"], ["Ada", "3"]], "A1")

    spreadsheet.share("gm@example.org", perm_type="user", role="writer", notify=False)
    sheet.format("A1:B1", {"textFormat": {"bold": True}})
    sheet.freeze(rows=1)
    sheet.columns_auto_resize(0, 2)

    assert [(item["emailAddress"], item["role"]) for item in spreadsheet.list_permissions()] == [
        ("gm@example.org", "writer")
    ]
    assert sheet.get_all_values() == [["Name", "Kills"], ["Ada", "3"]]
    assert client.open_by_key(spreadsheet.id).sheet1.frozen_row_count == 1
    spreadsheet.remove_permissions("gm@example.org")
    assert spreadsheet.list_permissions() == []
