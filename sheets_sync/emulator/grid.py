"""One sheet (a tab): its properties as the API shows them, and its cells as rows of stored cells.

`rows` holds only what has data: trailing empty rows and cells are trimmed after every change, so the
grid's size lives in `properties.gridProperties`, not in the length of `rows`.
"""

from . import a1
from .errors import ApiError


def new_sheet(properties):
    return {"properties": properties, "rows": []}


def size(sheet):
    grid = sheet["properties"]["gridProperties"]
    return grid["rowCount"], grid["columnCount"]


def get(sheet, row, col):
    rows = sheet["rows"]
    if row < len(rows) and col < len(rows[row]):
        return rows[row][col]
    return None


def put(sheet, row, col, cell):
    rows = sheet["rows"]
    if cell is None and get(sheet, row, col) is None:
        return
    while len(rows) <= row:
        rows.append([])
    while len(rows[row]) <= col:
        rows[row].append(None)
    rows[row][col] = cell


def trim(sheet):
    for row in sheet["rows"]:
        while row and row[-1] is None:
            row.pop()
    while sheet["rows"] and not sheet["rows"][-1]:
        sheet["rows"].pop()


def clear(sheet, start_row, end_row, start_col, end_col):
    for row in sheet["rows"][start_row:end_row]:
        for col in range(start_col, min(end_col, len(row))):
            row[col] = None
    trim(sheet)


def resize(sheet, rows=None, cols=None):
    """Set the grid size; cells outside the new grid are lost, as in Google Sheets."""
    grid = sheet["properties"]["gridProperties"]
    if rows is not None:
        grid["rowCount"] = rows
        del sheet["rows"][rows:]
    if cols is not None:
        grid["columnCount"] = cols
        for row in sheet["rows"]:
            del row[cols:]
    trim(sheet)


def insert_rows(sheet, start, count):
    rows = sheet["rows"]
    if start < len(rows):
        rows[start:start] = [[] for _ in range(count)]
    sheet["properties"]["gridProperties"]["rowCount"] += count


def delete_rows(sheet, start, end):
    del sheet["rows"][start:end]
    sheet["properties"]["gridProperties"]["rowCount"] -= end - start
    trim(sheet)


def insert_columns(sheet, start, count):
    for row in sheet["rows"]:
        if start < len(row):
            row[start:start] = [None] * count
    sheet["properties"]["gridProperties"]["columnCount"] += count


def delete_columns(sheet, start, end):
    for row in sheet["rows"]:
        del row[start:end]
    sheet["properties"]["gridProperties"]["columnCount"] -= end - start
    trim(sheet)


def title(sheet):
    return sheet["properties"]["title"]


class Target:
    """A range resolved against a spreadsheet: the sheet, and bounds that may still be open (None)."""

    def __init__(self, sheet, cells, text):
        self.sheet = sheet
        self.cells = cells
        self.text = text

    def bounds(self):
        """The range clamped to the grid. Google clamps an end past the grid (`A1:AA5` on 26 columns
        is `A1:Z5`) but answers 400 for a range that starts outside it."""
        rows, cols = size(self.sheet)
        cells = self.cells
        if cells.start_row >= rows or cells.start_col >= cols:
            raise self.past_the_grid(self.text.rpartition("!")[2])
        end_row = rows if cells.end_row is None else min(cells.end_row, rows)
        end_col = cols if cells.end_col is None else min(cells.end_col, cols)
        return cells.start_row, end_row, cells.start_col, end_col

    def past_the_grid(self, cells_text):
        rows, cols = size(self.sheet)
        return ApiError.bad_request(
            f"Range ({a1.quote_title(title(self.sheet))}!{cells_text}) exceeds grid limits. "
            f"Max rows: {rows}, max columns: {cols}"
        )

    def a1(self):
        return a1.format_range(title(self.sheet), *self.bounds())


def resolve(spreadsheet, text):
    """Find the sheet and cells a range names; `Sheet1` alone is the whole sheet."""
    if not text.strip():
        raise ApiError.bad_range(text)
    sheet_title, cells_text = a1.split_sheet(text)
    if sheet_title is None:
        sheet = find(spreadsheet, text)
        if sheet is not None:
            return Target(sheet, a1.CellRange(0, None, 0, None), text)
        sheet = first_sheet(spreadsheet)
    else:
        sheet = find(spreadsheet, sheet_title)
    if sheet is None:
        raise ApiError.bad_range(text)
    if cells_text == "":
        return Target(sheet, a1.CellRange(0, None, 0, None), text)
    cells = a1.parse_cells(cells_text)
    if cells is None:
        raise ApiError.bad_range(text)
    return Target(sheet, cells, text)


def find(spreadsheet, wanted):
    """A sheet by title; Google matches titles in ranges without regard to case."""
    for sheet in spreadsheet["sheets"]:
        if title(sheet) == wanted:
            return sheet
    for sheet in spreadsheet["sheets"]:
        if title(sheet).lower() == wanted.lower():
            return sheet
    return None


def find_by_id(spreadsheet, sheet_id, where):
    """A sheet by id; `where` names the request for the error, e.g. "requests[0].deleteSheet"."""
    for sheet in spreadsheet["sheets"]:
        if sheet["properties"]["sheetId"] == sheet_id:
            return sheet
    raise ApiError.bad_request(f"Invalid {where}: No grid with id: {sheet_id}")


def first_sheet(spreadsheet):
    return min(spreadsheet["sheets"], key=lambda sheet: sheet["properties"]["index"])
