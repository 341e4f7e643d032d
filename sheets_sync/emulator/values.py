"""The `spreadsheets.values` family: get, batchGet, update, batchUpdate, append, clear, batchClear.

Each function takes the spreadsheet, the query (name -> list of values, as parse_qs gives) and the
JSON body, and returns the JSON answer. Answers follow Google's habits: trailing empty rows and cells
are left out, `values` is absent when there is nothing, counts of zero are absent.
"""

from . import a1, cells, grid
from .errors import ApiError

_ENUMS = {
    "majorDimension": ("Dimension", ("ROWS", "COLUMNS")),
    "valueRenderOption": ("ValueRenderOption", ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")),
    "responseValueRenderOption": ("ValueRenderOption", ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")),
    "dateTimeRenderOption": ("DateTimeRenderOption", ("SERIAL_NUMBER", "FORMATTED_STRING")),
    "responseDateTimeRenderOption": ("DateTimeRenderOption", ("SERIAL_NUMBER", "FORMATTED_STRING")),
    "valueInputOption": ("ValueInputOption", ("RAW", "USER_ENTERED")),
    "insertDataOption": ("InsertDataOption", ("OVERWRITE", "INSERT_ROWS")),
}


def option(source, name, default=None):
    """An enum parameter from the query (a list per name) or a JSON body (a plain value)."""
    value = source.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return default
    type_name, allowed = _ENUMS[name]
    if value not in allowed:
        snake = "".join("_" + char.lower() if char.isupper() else char for char in name)
        raise ApiError.bad_request(
            f"Invalid value at '{snake}' (type.googleapis.com/google.apps.sheets.v4.{type_name}), \"{value}\""
        )
    return value


def get(spreadsheet, range_text, query):
    target = grid.resolve(spreadsheet, range_text)
    return _value_range(target.sheet, target.bounds(), query, "")


def batch_get(spreadsheet, query):
    answer = {"spreadsheetId": spreadsheet["spreadsheetId"]}
    targets = [grid.resolve(spreadsheet, text) for text in query.get("ranges", [])]
    if targets:
        answer["valueRanges"] = [_value_range(target.sheet, target.bounds(), query, "") for target in targets]
    return answer


def update(spreadsheet, range_text, query, body):
    user_entered = _input_option(query)
    target = grid.resolve(spreadsheet, range_text)
    target.bounds()
    written = _write(target, target.cells.start_row, target.cells.start_col, body, user_entered)
    return _update_answer(spreadsheet, target.sheet, written, query)


def batch_update(spreadsheet, body):
    user_entered = _input_option(body)
    answer = {"spreadsheetId": spreadsheet["spreadsheetId"]}
    responses = []
    touched = set()
    for data in body.get("data") or []:
        target = grid.resolve(spreadsheet, data.get("range", ""))
        target.bounds()
        written = _write(target, target.cells.start_row, target.cells.start_col, data, user_entered)
        responses.append(_update_answer(spreadsheet, target.sheet, written, body))
        sheet_id = target.sheet["properties"]["sheetId"]
        touched |= {(sheet_id, row, col) for row, col in written["cells"]}
    totals = {
        "totalUpdatedRows": len({(sheet, row) for sheet, row, _ in touched}),
        "totalUpdatedColumns": len({(sheet, col) for sheet, _, col in touched}),
        "totalUpdatedCells": len(touched),
        "totalUpdatedSheets": len({sheet for sheet, _, _ in touched}),
    }
    answer.update({name: count for name, count in totals.items() if count})
    if responses:
        answer["responses"] = responses
    return answer


def append(spreadsheet, range_text, query, body):
    """Find the table the range starts, and write the new rows under its last row.

    The table is the first run of non-empty rows within the range's columns (it may run below the
    range); its columns are those holding data. An empty range gets the rows at its top-left corner.
    """
    user_entered = _input_option(query)
    insert_rows = option(query, "insertDataOption", "OVERWRITE") == "INSERT_ROWS"
    target = grid.resolve(spreadsheet, range_text)
    start_row, end_row, start_col, end_col = target.bounds()
    sheet = target.sheet

    def filled(row):
        return [col for col in range(start_col, end_col) if grid.get(sheet, row, col) is not None]

    answer = {"spreadsheetId": spreadsheet["spreadsheetId"]}
    first = next((row for row in range(start_row, min(end_row, len(sheet["rows"]))) if filled(row)), None)
    top, left = start_row, start_col
    if first is not None:
        last = first
        while filled(last + 1):
            last += 1
        columns = [col for row in range(first, last + 1) for col in filled(row)]
        answer["tableRange"] = a1.format_range(
            grid.title(sheet), first, last + 1, min(columns), max(columns) + 1
        )
        top, left = last + 1, min(columns)
    if insert_rows:
        grid.insert_rows(sheet, top, len(_matrix(body)))
    written = _write(target, top, left, body, user_entered, grow=True)
    answer["updates"] = _update_answer(spreadsheet, sheet, written, query)
    return answer


def clear(spreadsheet, range_text):
    target = grid.resolve(spreadsheet, range_text)
    grid.clear(target.sheet, *target.bounds())
    return {"spreadsheetId": spreadsheet["spreadsheetId"], "clearedRange": target.a1()}


def batch_clear(spreadsheet, body):
    targets = [grid.resolve(spreadsheet, text) for text in body.get("ranges") or []]
    for target in targets:
        grid.clear(target.sheet, *target.bounds())
    answer = {"spreadsheetId": spreadsheet["spreadsheetId"]}
    if targets:
        answer["clearedRanges"] = [target.a1() for target in targets]
    return answer


def read(sheet, bounds, major="ROWS", value_render="FORMATTED_VALUE", date_render="SERIAL_NUMBER"):
    """The rendered values of a bounded range, trimmed as Google trims them."""
    start_row, end_row, start_col, end_col = bounds
    rows = [row[start_col:end_col] for row in sheet["rows"][start_row:end_row]]
    if major == "COLUMNS":
        rows = [[row[col] if col < len(row) else None for row in rows] for col in range(end_col - start_col)]
    for line in rows:
        while line and line[-1] is None:
            line.pop()
    while rows and not rows[-1]:
        rows.pop()
    return [[cells.render(cell, value_render, date_render) for cell in line] for line in rows]


def _value_range(sheet, bounds, source, prefix):
    """A ValueRange answer; `prefix` is "response" for the updatedData of a write."""
    major = option(source, "majorDimension", "ROWS") if not prefix else "ROWS"
    rendering = option(source, _name(prefix, "valueRenderOption"), "FORMATTED_VALUE")
    dates = option(source, _name(prefix, "dateTimeRenderOption"), "SERIAL_NUMBER")
    answer = {"range": a1.format_range(grid.title(sheet), *bounds), "majorDimension": major}
    values = read(sheet, bounds, major, rendering, dates)
    if values:
        answer["values"] = values
    return answer


def _name(prefix, name):
    return prefix + name[0].upper() + name[1:] if prefix else name


def _input_option(source):
    value = option(source, "valueInputOption")
    if value is None:
        raise ApiError.bad_request("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    return value == "USER_ENTERED"


def _matrix(body):
    """The body's values as rows, whatever its majorDimension."""
    values = body.get("values") or []
    if not isinstance(values, list) or not all(isinstance(line, list) for line in values):
        raise ApiError.bad_request("Invalid JSON payload received. 'values' must be a list of lists.")
    if (body.get("majorDimension") or "ROWS") == "COLUMNS":
        height = max((len(line) for line in values), default=0)
        return [[line[row] if row < len(line) else None for line in values] for row in range(height)]
    return values


def _write(target, top, left, body, user_entered, grow=False):
    """Write the body's values with their top-left corner at (top, left).

    The values must fit in the range (clamped to the grid); a range of one cell is only an anchor,
    and they must fit in the grid from it. Only append (`grow`) adds the rows and columns it needs.
    """
    matrix = _matrix(body)
    height = len(matrix)
    width = max((len(line) for line in matrix), default=0)
    sheet = target.sheet
    rows, cols = grid.size(sheet)
    if grow:
        grid.resize(sheet, rows=max(rows, top + height), cols=max(cols, left + width))
    elif target.cells.single_cell:
        if top + height > rows or left + width > cols:
            end_row, end_col = top + max(height, 1), left + max(width, 1)
            raise target.past_the_grid(a1.format_cells(top, end_row, left, end_col))
    else:
        _, end_row, _, end_col = target.bounds()
        if top + height > end_row:
            raise ApiError.bad_request(
                f"Requested writing within range [{target.a1()}], but tried writing to row [{end_row + 1}]"
            )
        if left + width > end_col:
            raise ApiError.bad_request(
                f"Requested writing within range [{target.a1()}], but tried writing to column "
                f"[{a1.column_letters(end_col)}]"
            )
    written = []
    for row, line in enumerate(matrix):
        for col, value in enumerate(line):
            if value is None:
                continue
            if isinstance(value, dict | list):
                raise ApiError.bad_request(f"Invalid values[{row}][{col}]: {type(value).__name__}_value")
            grid.put(sheet, top + row, left + col, cells.from_input(value, user_entered))
            written.append((top + row, left + col))
    grid.trim(sheet)
    return {"bounds": (top, top + max(height, 1), left, left + max(width, 1)), "cells": written}


def _update_answer(spreadsheet, sheet, written, source):
    """An UpdateValuesResponse; `source` holds includeValuesInResponse and the response options."""
    updated_range = a1.format_range(grid.title(sheet), *written["bounds"])
    counts = {
        "updatedRows": len({row for row, _ in written["cells"]}),
        "updatedColumns": len({col for _, col in written["cells"]}),
        "updatedCells": len(written["cells"]),
    }
    answer = {"spreadsheetId": spreadsheet["spreadsheetId"], "updatedRange": updated_range}
    answer.update({name: count for name, count in counts.items() if count})
    include = source.get("includeValuesInResponse")
    if include is True or (isinstance(include, list) and include[0].lower() == "true"):
        answer["updatedData"] = _value_range(sheet, written["bounds"], source, "response")
    return answer
