"""The values endpoints and :batchUpdate over HTTP, on the points the recordings do not cover."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests


@pytest.fixture
def api(sheets_emulator):
    spreadsheet_id = sheets_emulator.create_spreadsheet()
    base = f"{sheets_emulator.url}/v4/spreadsheets/{spreadsheet_id}"

    class Api:
        id = spreadsheet_id

        def get(self, path, **params):
            return sheets_emulator.session.get(base + path, params=params, timeout=5)

        def send(self, method, path, body, **params):
            return sheets_emulator.session.request(method, base + path, json=body, params=params, timeout=5)

    return Api()


def values(api, cells, **params):
    return api.get(f"/values/{cells}", **params).json().get("values")


def test_raw_stores_text_as_typed(api):
    api.send("PUT", "/values/Sheet1!A1", {"values": [["=1+2", "12", "TRUE", 7]]}, valueInputOption="RAW")

    assert values(api, "A1:D1", valueRenderOption="UNFORMATTED_VALUE") == [["=1+2", "12", "TRUE", 7]]


def test_user_entered_reads_text_as_a_person_typing(api):
    typed = [["=1+2", "12", "true", "1/2/1999", "'0042", "=SUM(A1)", "=1/0", "4.50"]]
    api.send("PUT", "/values/Sheet1!A1", {"values": typed}, valueInputOption="USER_ENTERED")

    assert values(api, "A1:H1") == [["3", "12", "TRUE", "1/2/1999", "0042", "#ERROR!", "#DIV/0!", "4.5"]]
    assert values(api, "A1:H1", valueRenderOption="UNFORMATTED_VALUE") == [
        [3, 12, True, 36162, "0042", "#ERROR!", "#DIV/0!", 4.5]
    ]
    assert values(api, "A1:B1", valueRenderOption="FORMULA") == [["=1+2", 12]]


def test_columns_go_in_and_out_as_columns(api):
    api.send(
        "PUT",
        "/values/Sheet1!A1",
        {"majorDimension": "COLUMNS", "values": [["a", "b"], ["c"]]},
        valueInputOption="RAW",
    )

    assert values(api, "Sheet1") == [["a", "c"], ["b"]]
    assert values(api, "Sheet1", majorDimension="COLUMNS") == [["a", "b"], ["c"]]


def test_answers_trim_empty_cells_but_keep_empty_rows_in_the_middle(api):
    api.send(
        "PUT", "/values/Sheet1!A1", {"values": [["a", ""], ["", ""], ["", "b", None]]}, valueInputOption="RAW"
    )

    assert api.get("/values/Sheet1!A1:C3").json() == {
        "range": "Sheet1!A1:C3",
        "majorDimension": "ROWS",
        "values": [["a"], [], ["", "b"]],
    }
    assert "values" not in api.get("/values/Sheet1!D1:E5").json()


def test_an_update_can_answer_with_what_it_wrote(api):
    answer = api.send(
        "PUT",
        "/values/Sheet1!B2",
        {"values": [["=2*3"]]},
        valueInputOption="USER_ENTERED",
        includeValuesInResponse="true",
        responseValueRenderOption="FORMULA",
    ).json()

    assert answer["updatedData"] == {"range": "Sheet1!B2", "majorDimension": "ROWS", "values": [["=2*3"]]}


def test_it_refuses_more_values_than_the_range_holds(api):
    answer = api.send("PUT", "/values/Sheet1!A1:B1", {"values": [["a", "b"], ["c"]]}, valueInputOption="RAW")

    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "Requested writing within range [Sheet1!A1:B1], but tried writing to row [2]"
    )


def test_it_requires_a_value_input_option(api):
    answer = api.send("PUT", "/values/Sheet1!A1", {"values": [["a"]]})

    assert answer.json()["error"] == {
        "code": 400,
        "message": "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED",
        "status": "INVALID_ARGUMENT",
    }


def test_writes_stay_inside_the_grid(api):
    from_anchor = api.send(
        "PUT", "/values/Sheet1!Z1000", {"values": [["a", "b"], ["c", "d"]]}, valueInputOption="RAW"
    )
    from_range = api.send(
        "PUT", "/values/A999:B1005", {"values": [["a"], ["b"], ["c"]]}, valueInputOption="RAW"
    )
    outside = api.send("PUT", "/values/Sheet1!A1005", {"values": [["x"]]}, valueInputOption="RAW")

    assert from_anchor.json()["error"]["message"] == (
        "Range (Sheet1!Z1000:AA1001) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    assert from_range.json()["error"]["message"] == (
        "Requested writing within range [Sheet1!A999:B1000], but tried writing to row [1001]"
    )
    assert outside.json()["error"]["message"] == (
        "Range (Sheet1!A1005) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    assert "values" not in api.get("/values/Sheet1").json()


def test_append_finds_the_table_and_grows_the_grid(api):
    api.send(
        "POST", ":batchUpdate", {"requests": [{"updateSheetProperties": _size(2, 3)}]}
    ).raise_for_status()
    api.send("PUT", "/values/Sheet1!A1", {"values": [["h1", "h2"], ["a", "b"]]}, valueInputOption="RAW")

    answer = api.send(
        "POST", "/values/Sheet1:append", {"values": [["c", "d"]]}, valueInputOption="RAW"
    ).json()

    assert answer["tableRange"] == "Sheet1!A1:B2"
    assert answer["updates"]["updatedRange"] == "Sheet1!A3:B3"
    grid = api.get("").json()["sheets"][0]["properties"]["gridProperties"]
    assert grid == {"rowCount": 3, "columnCount": 3}


def test_append_can_insert_rows_instead_of_overwriting(api):
    api.send("PUT", "/values/Sheet1!A1", {"values": [["a"], ["b"], [""], ["below"]]}, valueInputOption="RAW")

    api.send(
        "POST",
        "/values/A1:append",
        {"values": [["new"]]},
        valueInputOption="RAW",
        insertDataOption="INSERT_ROWS",
    )

    assert values(api, "Sheet1") == [["a"], ["b"], ["new"], [], ["below"]]
    assert api.get("").json()["sheets"][0]["properties"]["gridProperties"]["rowCount"] == 1001


def test_batch_get_and_batch_clear(api):
    api.send("PUT", "/values/Sheet1!A1", {"values": [["a", "b"], ["c", "d"]]}, valueInputOption="RAW")

    cleared = api.send("POST", "/values:batchClear", {"ranges": ["A1", "B2"]}).json()
    got = api.get("/values:batchGet", ranges=["A1:B1", "A2:B2"]).json()

    assert cleared["clearedRanges"] == ["Sheet1!A1", "Sheet1!B2"]
    assert [value_range.get("values") for value_range in got["valueRanges"]] == [[["", "b"]], [["c"]]]


def test_a_batch_update_applies_all_or_nothing(api):
    answer = api.send(
        "POST",
        ":batchUpdate",
        {
            "requests": [
                {"addSheet": {"properties": {"title": "Players"}}},
                {"deleteSheet": {"sheetId": 12345}},
            ]
        },
    )

    assert answer.json()["error"]["message"] == "Invalid requests[1].deleteSheet: No grid with id: 12345"
    assert [sheet["properties"]["title"] for sheet in api.get("").json()["sheets"]] == ["Sheet1"]


def test_dimensions_move_the_cells(api):
    api.send("PUT", "/values/Sheet1!A1", {"values": [["a", "b"], ["c", "d"]]}, valueInputOption="RAW")
    api.send(
        "POST",
        ":batchUpdate",
        {
            "requests": [
                {
                    "insertDimension": {
                        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 1}
                    }
                },
                {
                    "deleteDimension": {
                        "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}
                    }
                },
                {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 5}},
            ]
        },
    ).raise_for_status()

    assert values(api, "Sheet1") == [[], ["b"], ["d"]]
    assert api.get("").json()["sheets"][0]["properties"]["gridProperties"] == {
        "rowCount": 1001,
        "columnCount": 30,
    }


def test_metadata_honours_ranges_grid_data_and_fields(api):
    api.send("POST", ":batchUpdate", {"requests": [{"addSheet": {"properties": {"title": "Players"}}}]})
    api.send("PUT", "/values/Players!A1", {"values": [["=1+1"]]}, valueInputOption="USER_ENTERED")

    answer = api.get(
        "", ranges="Players!A1:B1", includeGridData="true", fields="sheets(properties.title,data)"
    ).json()

    assert answer == {
        "sheets": [
            {
                "properties": {"title": "Players"},
                "data": [
                    {
                        "rowData": [
                            {
                                "values": [
                                    {
                                        "userEnteredValue": {"formulaValue": "=1+1"},
                                        "effectiveValue": {"numberValue": 2},
                                        "formattedValue": "2",
                                    },
                                    {},
                                ]
                            }
                        ]
                    }
                ],
            }
        ]
    }


def test_it_answers_google_errors_for_missing_things(sheets_emulator, api):
    missing = sheets_emulator.session.get(f"{sheets_emulator.url}/v4/spreadsheets/nope", timeout=5)
    anonymous = requests.get(f"{sheets_emulator.url}/v4/spreadsheets/{api.id}", timeout=5)
    unreadable = requests.get(
        f"{sheets_emulator.url}/v4/spreadsheets/{api.id}", headers={"Authorization": "Basic eDp5"}, timeout=5
    )
    unknown_sheet = api.get("/values/Nope!A1")

    assert missing.json() == {
        "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    }
    assert anonymous.json()["error"] == {
        "code": 403,
        "message": "The request is missing a valid API key.",
        "status": "PERMISSION_DENIED",
    }
    assert (unreadable.status_code, unreadable.json()["error"]["status"]) == (401, "UNAUTHENTICATED")
    assert unknown_sheet.json()["error"]["message"] == "Unable to parse range: Nope!A1"


def _size(rows, cols):
    return {
        "properties": {"sheetId": 0, "gridProperties": {"rowCount": rows, "columnCount": cols}},
        "fields": "gridProperties/rowCount,gridProperties/columnCount",
    }


def test_concurrent_appends_lose_no_row(sheets_emulator, api):
    def append_rows(worker):
        session = requests.Session()
        session.headers["Authorization"] = "Bearer test"
        for number in range(20):
            session.post(
                f"{sheets_emulator.url}/v4/spreadsheets/{api.id}/values/Sheet1:append",
                params={"valueInputOption": "RAW"},
                json={"values": [[f"{worker}-{number}"]]},
                timeout=5,
            ).raise_for_status()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(append_rows, range(8)))

    rows = values(api, "Sheet1")
    assert sorted(row[0] for row in rows) == sorted(
        f"{worker}-{number}" for worker in range(8) for number in range(20)
    )


def test_formatting_is_accepted_on_known_sheets_only(api):
    bold = {
        "repeatCell": {"range": {"sheetId": 0}, "cell": {}, "fields": "userEnteredFormat.textFormat.bold"}
    }
    elsewhere = {"repeatCell": {"range": {"sheetId": 99}, "cell": {}, "fields": "userEnteredFormat"}}

    assert api.send("POST", ":batchUpdate", {"requests": [bold]}).json()["replies"] == [{}]
    assert api.send("POST", ":batchUpdate", {"requests": [elsewhere]}).json()["error"]["message"] == (
        "Invalid requests[0].repeatCell: No grid with id: 99"
    )
