"""The Drive side: listing with `q`, copies, exports, deletion, and spreadsheets not shared with us."""

import pytest


@pytest.fixture
def drive(sheets_emulator):
    base = f"{sheets_emulator.url}/drive/v3/files"

    def call(method, path="", **kwargs):
        return sheets_emulator.session.request(method, base + path, timeout=5, **kwargs)

    return call


def test_a_listing_filters_by_name_newest_first(sheets_emulator, drive):
    older = sheets_emulator.create_spreadsheet("Tom and Jerry")
    newer = sheets_emulator.create_spreadsheet("Tom and Jerry")
    sheets_emulator.create_spreadsheet("Other")

    answer = drive(
        "GET",
        params={
            "q": 'mimeType="application/vnd.google-apps.spreadsheet" and name = "Tom and Jerry"',
            "fields": "kind,nextPageToken,files(id,name)",
        },
    ).json()

    assert answer == {
        "kind": "drive#fileList",
        "files": [{"id": newer, "name": "Tom and Jerry"}, {"id": older, "name": "Tom and Jerry"}],
    }


def test_a_listing_pages(sheets_emulator, drive):
    for number in range(3):
        sheets_emulator.create_spreadsheet(f"Game {number}")

    first = drive("GET", params={"pageSize": 2}).json()
    second = drive("GET", params={"pageSize": 2, "pageToken": first["nextPageToken"]}).json()

    assert [len(first["files"]), len(second["files"])] == [2, 1]
    assert "nextPageToken" not in second


def test_a_copy_holds_the_same_cells_and_an_export_gives_csv(sheets_emulator, drive):
    original = sheets_emulator.create_spreadsheet("Game")
    sheets_emulator.session.put(
        f"{sheets_emulator.url}/v4/spreadsheets/{original}/values/A1",
        params={"valueInputOption": "RAW"},
        json={"values": [["Ada", "a, b"], ["Bob"]]},
        timeout=5,
    ).raise_for_status()

    copy = drive("POST", f"/{original}/copy", json={}).json()
    exported = drive("GET", f"/{copy['id']}/export", params={"mimeType": "text/csv"})

    assert copy["name"] == "Copy of Game"
    assert exported.text == 'Ada,"a, b"\nBob'


def test_a_deleted_file_is_gone(sheets_emulator, drive):
    spreadsheet_id = sheets_emulator.create_spreadsheet()

    deleted = drive("DELETE", f"/{spreadsheet_id}")
    again = drive("GET", f"/{spreadsheet_id}")

    assert deleted.status_code == 204
    assert again.json()["error"] == {
        "code": 404,
        "message": f"File not found: {spreadsheet_id}.",
        "status": "NOT_FOUND",
    }


def test_a_spreadsheet_not_shared_with_us_is_refused(sheets_emulator, drive):
    spreadsheet_id = sheets_emulator.create_spreadsheet()
    sheets_emulator.faults(forbidden=[spreadsheet_id])

    sheets = sheets_emulator.session.get(f"{sheets_emulator.url}/v4/spreadsheets/{spreadsheet_id}", timeout=5)
    file = drive("GET", f"/{spreadsheet_id}")

    assert sheets.json() == {
        "error": {
            "code": 403,
            "message": "The caller does not have permission",
            "status": "PERMISSION_DENIED",
        }
    }
    assert file.status_code == 404
