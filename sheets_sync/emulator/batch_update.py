"""`POST /v4/spreadsheets/{id}:batchUpdate`: the sheet, dimension and property requests.

Requests run in order and all or none apply (the server restores the spreadsheet when one fails).
Each handler takes the spreadsheet, its request body and the request's place ("requests[0].addSheet")
for error messages, and returns its reply ({} for most).
"""

import re

from . import grid, store
from .errors import ApiError


def batch_update(spreadsheet, body):
    replies = []
    for number, request in enumerate(body.get("requests") or []):
        if not isinstance(request, dict) or len(request) != 1:
            raise ApiError.bad_request(f"Invalid requests[{number}]: exactly one kind of request is allowed.")
        ((kind, arguments),) = request.items()
        handler = HANDLERS.get(kind)
        if handler is None:
            raise ApiError.bad_request(
                f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{number}]': "
                "Cannot find field."
            )
        replies.append(handler(spreadsheet, arguments or {}, f"requests[{number}].{kind}"))
    return {"spreadsheetId": spreadsheet["spreadsheetId"], "replies": replies}


def add_sheet(spreadsheet, request, where):
    wanted = request.get("properties") or {}
    sheets = spreadsheet["sheets"]
    title = wanted.get("title") or _free_title(spreadsheet)
    if grid.find(spreadsheet, title) is not None:
        raise ApiError.bad_request(
            f'Invalid {where}: A sheet with the name "{title}" already exists. Please enter another name.'
        )
    sheet_id = wanted.get("sheetId", store.new_sheet_id())
    if any(sheet["properties"]["sheetId"] == sheet_id for sheet in sheets):
        raise ApiError.bad_request(f"Invalid {where}: Sheet with id {sheet_id} already exists.")
    properties = store.default_sheet_properties(
        sheet_id, title, min(wanted.get("index", len(sheets)), len(sheets))
    )
    properties["gridProperties"].update(wanted.get("gridProperties") or {})
    for name, value in wanted.items():
        if name not in properties and value:
            properties[name] = value
    sheets.insert(properties["index"], grid.new_sheet(properties))
    _renumber(spreadsheet)
    return {"addSheet": {"properties": properties}}


def delete_sheet(spreadsheet, request, where):
    sheet = grid.find_by_id(spreadsheet, request.get("sheetId"), where)
    if len(spreadsheet["sheets"]) == 1:
        raise ApiError.bad_request(f"Invalid {where}: You can't remove all the sheets in a document.")
    spreadsheet["sheets"].remove(sheet)
    _renumber(spreadsheet)
    return {}


def update_sheet_properties(spreadsheet, request, where):
    wanted = request.get("properties") or {}
    sheet = grid.find_by_id(spreadsheet, wanted.get("sheetId"), where)
    properties = sheet["properties"]
    old_rows, old_cols = grid.size(sheet)
    new_index = None
    for path in _field_paths(request, wanted, where):
        if path == ["sheetId"]:
            continue
        if path == ["index"]:
            new_index = wanted.get("index", 0)
            continue
        if path == ["title"]:
            other = grid.find(spreadsheet, wanted.get("title") or "")
            if other is not None and other is not sheet:
                raise ApiError.bad_request(
                    f'Invalid {where}: A sheet with the name "{wanted["title"]}" already exists. '
                    "Please enter another name."
                )
        _copy_field(wanted, properties, path)
    # A new size goes through grid.resize, which drops the cells outside the grid as Google does.
    grid_properties = properties.setdefault("gridProperties", {})
    rows = grid_properties.get("rowCount") or old_rows
    cols = grid_properties.get("columnCount") or old_cols
    grid_properties.update(rowCount=old_rows, columnCount=old_cols)
    grid.resize(sheet, rows=rows, cols=cols)
    if new_index is not None:
        spreadsheet["sheets"].remove(sheet)
        spreadsheet["sheets"].insert(min(new_index, len(spreadsheet["sheets"])), sheet)
    _renumber(spreadsheet)
    return {}


def update_spreadsheet_properties(spreadsheet, request, where):
    wanted = request.get("properties") or {}
    for path in _field_paths(request, wanted, where):
        _copy_field(wanted, spreadsheet["properties"], path)
    return {}


def insert_dimension(spreadsheet, request, where):
    sheet, dimension, start, end = _dimension_range(spreadsheet, request.get("range") or {}, where)
    rows, cols = grid.size(sheet)
    if start > (rows if dimension == "ROWS" else cols):
        raise ApiError.bad_request(f"Invalid {where}: range.startIndex is past the end of the grid.")
    if dimension == "ROWS":
        grid.insert_rows(sheet, start, end - start)
    else:
        grid.insert_columns(sheet, start, end - start)
    return {}


def delete_dimension(spreadsheet, request, where):
    sheet, dimension, start, end = _dimension_range(spreadsheet, request.get("range") or {}, where)
    rows, cols = grid.size(sheet)
    count = rows if dimension == "ROWS" else cols
    end = min(end, count)
    if start >= end:
        raise ApiError.bad_request(f"Invalid {where}: range is outside the grid.")
    if end - start == count:
        things = "rows" if dimension == "ROWS" else "columns"
        raise ApiError.bad_request(f"Invalid {where}: You can't delete all the {things} on the sheet.")
    if dimension == "ROWS":
        grid.delete_rows(sheet, start, end)
    else:
        grid.delete_columns(sheet, start, end)
    return {}


def append_dimension(spreadsheet, request, where):
    sheet = grid.find_by_id(spreadsheet, request.get("sheetId"), where)
    length = request.get("length") or 0
    if length < 1:
        raise ApiError.bad_request(f"Invalid {where}: length must be at least 1.")
    rows, cols = grid.size(sheet)
    if request.get("dimension") == "ROWS":
        grid.resize(sheet, rows=rows + length)
    elif request.get("dimension") == "COLUMNS":
        grid.resize(sheet, cols=cols + length)
    else:
        raise ApiError.bad_request(f"Invalid {where}: dimension must be ROWS or COLUMNS.")
    return {}


def format_only(spreadsheet, request, where):
    """Formatting (bold headers, widths, borders, filters…): checked and accepted, not kept. Cell
    values never change with it, and the stand-in answers no formats back."""
    for sheet_id in _sheet_ids(request):
        grid.find_by_id(spreadsheet, sheet_id, where)
    return {}


def _sheet_ids(value):
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "sheetId":
                yield item
            else:
                yield from _sheet_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _sheet_ids(item)


def _dimension_range(spreadsheet, dimension_range, where):
    sheet = grid.find_by_id(spreadsheet, dimension_range.get("sheetId", 0), where)
    dimension = dimension_range.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise ApiError.bad_request(f"Invalid {where}: range.dimension must be ROWS or COLUMNS.")
    start = dimension_range.get("startIndex", 0)
    end = dimension_range.get("endIndex")
    if end is None or start < 0 or end <= start:
        raise ApiError.bad_request(f"Invalid {where}: range.startIndex must be less than range.endIndex.")
    return sheet, dimension, start, end


def _field_paths(request, wanted, where):
    """The field mask as paths: "gridProperties/rowCount,index" -> [[gridProperties, rowCount], [index]].

    Google accepts both `/` and `.` between names; `*` means every field given.
    """
    fields = (request.get("fields") or "").strip()
    if not fields:
        raise ApiError.bad_request(
            f"Invalid {where}: At least one field must be updated, but none were specified."
        )
    if fields == "*":
        return [[name] for name in wanted]
    return [re.split(r"[./]", field.strip()) for field in fields.split(",")]


def _copy_field(source, target, path):
    """Copy one field; a value left out, false or zero is removed, as the API leaves out defaults."""
    for name in path[:-1]:
        source = source.get(name) or {}
        target = target.setdefault(name, {})
    value = source.get(path[-1])
    if value in (None, False, 0, "", {}):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value


def _free_title(spreadsheet):
    number = len(spreadsheet["sheets"]) + 1
    while grid.find(spreadsheet, f"Sheet{number}") is not None:
        number += 1
    return f"Sheet{number}"


def _renumber(spreadsheet):
    for index, sheet in enumerate(spreadsheet["sheets"]):
        sheet["properties"]["index"] = index


HANDLERS = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "appendDimension": append_dimension,
    **{
        kind: format_only
        for kind in (
            "repeatCell",
            "updateBorders",
            "mergeCells",
            "unmergeCells",
            "updateDimensionProperties",
            "autoResizeDimensions",
            "setDataValidation",
            "setBasicFilter",
            "clearBasicFilter",
            "addConditionalFormatRule",
        )
    },
}
