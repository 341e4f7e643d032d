"""A1 notation: how the stand-in reads ranges, and prints them back as Google does."""

import pytest

from sheets_sync.emulator import a1, grid, store
from sheets_sync.emulator.errors import ApiError


@pytest.fixture
def spreadsheet():
    spreadsheet = store.Store().create("Game")
    spreadsheet["sheets"].append(grid.new_sheet(store.default_sheet_properties(7, "My Sheet", 1)))
    spreadsheet["sheets"].append(grid.new_sheet(store.default_sheet_properties(8, "it's", 2)))
    return spreadsheet


def resolved(spreadsheet, text):
    return grid.resolve(spreadsheet, text).a1()


@pytest.mark.parametrize(
    ("letters", "index"), [("A", 0), ("Z", 25), ("AA", 26), ("AZ", 51), ("BA", 52), ("ZZ", 701), ("AAA", 702)]
)
def test_column_letters_go_both_ways(letters, index):
    assert a1.column_index(letters) == index
    assert a1.column_letters(index) == letters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sheet1", "Sheet1!A1:Z1000"),
        ("Sheet1!B2", "Sheet1!B2"),
        ("'Sheet1'!A1:B2", "Sheet1!A1:B2"),
        ("sheet1!a1:b2", "Sheet1!A1:B2"),
        ("A1:B2", "Sheet1!A1:B2"),
        ("Sheet1!D4:A1", "Sheet1!A1:D4"),
        ("Sheet1!A:C", "Sheet1!A1:C1000"),
        ("Sheet1!2:5", "Sheet1!A2:Z5"),
        ("Sheet1!A2:C", "Sheet1!A2:C1000"),
        ("Sheet1!A2:2", "Sheet1!A2:Z2"),
        ("'My Sheet'!A1", "'My Sheet'!A1"),
        ("My Sheet!A1:B1", "'My Sheet'!A1:B1"),
        ("My Sheet", "'My Sheet'!A1:Z1000"),
        ("'it''s'!A1", "'it''s'!A1"),
        ("Sheet1!A1:A1", "Sheet1!A1"),
        ("A1:AA5", "Sheet1!A1:Z5"),
        ("A1:B1001", "Sheet1!A1:B1000"),
        ("Z1:AA5", "Sheet1!Z1:Z5"),
    ],
)
def test_ranges_read_as_google_reads_them(spreadsheet, text, expected):
    assert resolved(spreadsheet, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "!A1",
        "Nope!A1",
        "'A1'",
        "Sheet1!A",
        "Sheet1!1A",
        "Sheet1!A0",
        "A1:",
        "'Sheet1!A1",
        "Sheet1!A1:B2:C3",
    ],
)
def test_it_refuses_what_google_cannot_parse(spreadsheet, text):
    with pytest.raises(ApiError) as raised:
        grid.resolve(spreadsheet, text).bounds()
    assert (raised.value.code, raised.value.message) == (400, f"Unable to parse range: {text}")


@pytest.mark.parametrize("text", ["Sheet1!A1001", "Sheet1!AA1", "Sheet1!AA1:AB5", "Sheet1!1001:1002"])
def test_it_refuses_ranges_that_start_past_the_grid(spreadsheet, text):
    with pytest.raises(ApiError) as raised:
        grid.resolve(spreadsheet, text).bounds()
    cells = text.partition("!")[2]
    assert (
        raised.value.message == f"Range (Sheet1!{cells}) exceeds grid limits. Max rows: 1000, max columns: 26"
    )


@pytest.mark.parametrize(
    ("title", "printed"),
    [
        ("Sheet1", "Sheet1"),
        ("My Sheet", "'My Sheet'"),
        ("A1", "'A1'"),
        ("2024", "'2024'"),
        ("🌵 x", "'🌵 x'"),
    ],
)
def test_titles_are_quoted_when_google_quotes_them(title, printed):
    assert a1.quote_title(title) == printed


def test_a_sheet_named_like_a_cell_wins_over_the_cell(spreadsheet):
    spreadsheet["sheets"].append(grid.new_sheet(store.default_sheet_properties(9, "B2", 3)))

    assert resolved(spreadsheet, "B2") == "'B2'!A1:Z1000"
    assert resolved(spreadsheet, "C3") == "Sheet1!C3"
