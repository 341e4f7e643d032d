"""A1 notation as Google reads and writes it.

A range names a sheet (`'My Sheet'!A1:B2`, `Sheet1!A:C`, `Sheet1`) or only cells (`A1:B2`, which means
the first sheet). Either end of a cell range may leave out its column or its row: `A:C` is whole
columns, `2:5` whole rows, `A2:C` runs to the last row. Indexes here are 0-based and end-exclusive, as
in the API's GridRange; None means "to the edge of the grid".
"""

import re
from dataclasses import dataclass

from .errors import ApiError

_ENDPOINT = re.compile(r"^([A-Za-z]{0,3})(\d*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d+[Cc]\d+)$")


@dataclass(frozen=True)
class CellRange:
    """The cell part of a range; any bound may be None (unbounded)."""

    start_row: int | None
    end_row: int | None
    start_col: int | None
    end_col: int | None
    single_cell: bool = False


def column_letters(index):
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters):
    """A -> 0, Z -> 25, AA -> 26."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def quote_title(title):
    """A sheet title as Google prints it in a range: quoted unless it is a plain word."""
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_CELL.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def split_sheet(text):
    """Split `'My Sheet'!A1:B2` into ("My Sheet", "A1:B2"); the title is None when absent.

    Without a `!`, the caller decides whether the text is a sheet title or cells.
    """
    if text.startswith("'"):
        end = 1
        title = ""
        while True:
            quote = text.find("'", end)
            if quote == -1:
                raise ApiError.bad_range(text)
            title += text[end:quote]
            if text[quote + 1 : quote + 2] == "'":
                title += "'"
                end = quote + 2
                continue
            rest = text[quote + 1 :]
            if rest == "":
                return title, ""
            if not rest.startswith("!"):
                raise ApiError.bad_range(text)
            return title, rest[1:]
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    return None, text


def parse_cells(text):
    """Parse the cell part: `A1`, `A1:B2`, `A:C`, `2:5`, `A2:C`, in any order of corners."""
    first, colon, second = text.partition(":")
    start = _ENDPOINT.match(first.strip())
    if not start or not (start.group(1) or start.group(2)):
        return None
    if not colon:
        if not (start.group(1) and start.group(2)):
            return None
        row, col = int(start.group(2)) - 1, column_index(start.group(1))
        if row < 0:
            return None
        return CellRange(row, row + 1, col, col + 1, single_cell=True)
    end = _ENDPOINT.match(second.strip())
    if not end or not (end.group(1) or end.group(2)):
        return None
    rows = [int(group) - 1 if group else None for group in (start.group(2), end.group(2))]
    cols = [column_index(group) if group else None for group in (start.group(1), end.group(1))]
    if any(row is not None and row < 0 for row in rows):
        return None
    start_row, end_row = _ordered(*rows)
    start_col, end_col = _ordered(*cols)
    return CellRange(
        start_row=start_row or 0,
        end_row=None if end_row is None else end_row + 1,
        start_col=start_col or 0,
        end_col=None if end_col is None else end_col + 1,
    )


def _ordered(first, second):
    """Google swaps reversed corners (D4:A1 is A1:D4); a missing end stays open."""
    if first is None:
        return 0, second
    if second is None:
        return first, None
    return min(first, second), max(first, second)


def format_cells(start_row, end_row, start_col, end_col):
    """Bounded 0-based indexes back to `A1` or `A1:B2`."""
    first = f"{column_letters(start_col)}{start_row + 1}"
    last = f"{column_letters(end_col - 1)}{end_row}"
    return first if first == last else f"{first}:{last}"


def format_range(title, start_row, end_row, start_col, end_col):
    return f"{quote_title(title)}!{format_cells(start_row, end_row, start_col, end_col)}"
