"""`GET /v4/spreadsheets/{id}`: the spreadsheet's properties, its sheets, and with includeGridData
the cells of the sheets (or of the `ranges` asked for) as GridData."""

from . import cells, fields, grid


def spreadsheet_answer(spreadsheet, query):
    with_data = query.get("includeGridData", ["false"])[0].lower() == "true"
    ranges = query.get("ranges", [])
    wanted = {}
    for target in (grid.resolve(spreadsheet, text) for text in ranges):
        wanted.setdefault(id(target.sheet), []).append(target.bounds())
    sheets = []
    for sheet in spreadsheet["sheets"]:
        if ranges and id(sheet) not in wanted:
            continue
        entry = {"properties": sheet["properties"]}
        if with_data:
            rows, cols = grid.size(sheet)
            entry["data"] = [
                _grid_data(sheet, bounds) for bounds in wanted.get(id(sheet), [(0, rows, 0, cols)])
            ]
        sheets.append(entry)
    answer = {
        "spreadsheetId": spreadsheet["spreadsheetId"],
        "properties": spreadsheet["properties"],
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet['spreadsheetId']}/edit",
    }
    if "fields" in query:
        answer = fields.select(answer, fields.parse(query["fields"][0]))
    return answer


def _grid_data(sheet, bounds):
    start_row, end_row, start_col, end_col = bounds
    data = {}
    if start_row:
        data["startRow"] = start_row
    if start_col:
        data["startColumn"] = start_col
    row_data = [
        {"values": [_cell_data(grid.get(sheet, row, col)) for col in range(start_col, end_col)]}
        for row in range(start_row, min(end_row, len(sheet["rows"])))
    ]
    if row_data:
        data["rowData"] = row_data
    return data


def _cell_data(cell):
    if cell is None:
        return {}
    if "formula" not in cell:
        value = _extended(cell["value"])
        return {"userEnteredValue": value, "effectiveValue": value, "formattedValue": cells.render(cell)}
    if isinstance(cell["value"], str) and cell["value"].startswith("#"):
        effective = {"errorValue": {"type": "ERROR", "message": cell["value"]}}
    else:
        effective = _extended(cell["value"])
    return {
        "userEnteredValue": {"formulaValue": cell["formula"]},
        "effectiveValue": effective,
        "formattedValue": cells.render(cell),
    }


def _extended(value):
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": value}
    return {"stringValue": value}
