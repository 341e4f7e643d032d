"""The real gspread client against the stand-in, logged in as a service account through /token.

The session below only swaps Google's hosts for the stand-in's URL, as sheets_sync/client.py does for
the app; everything else is gspread and google-auth as they run against Google.
"""

import gspread
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.service_account import Credentials

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class StandInSession(AuthorizedSession):
    def __init__(self, credentials, url):
        super().__init__(credentials)
        self.stand_in_url = url

    def request(self, method, url, *args, **kwargs):
        for host in GOOGLE_HOSTS:
            if url.startswith(host):
                url = self.stand_in_url + url.removeprefix(host)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture(scope="module")
def private_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def client(sheets_emulator, private_key):
    credentials = Credentials.from_service_account_info(
        {
            "type": "service_account",
            "client_email": "killer@example.iam.gserviceaccount.com",
            "private_key": private_key,
            "private_key_id": "stand-in",
            "token_uri": f"{sheets_emulator.url}/token",
        },
        scopes=gspread.auth.DEFAULT_SCOPES,
    )
    return gspread.Client(auth=None, session=StandInSession(credentials, sheets_emulator.url))


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
        spreadsheet.sheet1.get("A1:AA2")
    assert raised.value.response.json()["error"] == {
        "code": 400,
        "message": "Range (Sheet1!A1:AA2) exceeds grid limits. Max rows: 1000, max columns: 26",
        "status": "INVALID_ARGUMENT",
    }
