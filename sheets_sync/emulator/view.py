"""Read-only HTML pages for people: the list of spreadsheets, and each spreadsheet's tabs as tables.

Everything that comes from the data goes through html.escape: cell values are whatever a client wrote.
"""

from html import escape
from urllib.parse import quote

from . import a1, grid, values

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:2em}}
td,th{{border:1px solid #ccc;padding:2px 6px}}th{{background:#eee}}</style></head>
<body>{body}</body></html>"""


def index_page(store):
    items = "".join(
        f'<li><a href="/view/{quote(spreadsheet_id)}">{escape(spreadsheet["properties"]["title"])}</a>'
        f" <small>{escape(spreadsheet_id)}</small></li>"
        for spreadsheet_id, spreadsheet in store.spreadsheets.items()
    )
    body = f"<h1>Spreadsheets</h1><ul>{items}</ul>" if items else "<h1>Spreadsheets</h1><p>None yet.</p>"
    return _PAGE.format(title="Sheets API stand-in", body=body)


def spreadsheet_page(spreadsheet):
    title = escape(spreadsheet["properties"]["title"])
    parts = [f'<p><a href="/">All spreadsheets</a></p><h1>{title}</h1>']
    for sheet in spreadsheet["sheets"]:
        rows, cols = grid.size(sheet)
        lines = values.read(sheet, (0, rows, 0, cols))
        width = max((len(line) for line in lines), default=0)
        header = "".join(f"<th>{a1.column_letters(col)}</th>" for col in range(width))
        body = "".join(
            f"<tr><th>{number}</th>"
            + "".join(f"<td>{escape(str(value))}</td>" for value in line + [""] * (width - len(line)))
            + "</tr>"
            for number, line in enumerate(lines, start=1)
        )
        hidden = " (hidden)" if sheet["properties"].get("hidden") else ""
        parts.append(
            f"<h2>{escape(grid.title(sheet))}{hidden} <small>{rows} x {cols}</small></h2>"
            f"<table><tr><th></th>{header}</tr>{body}</table>"
        )
    return _PAGE.format(title=title, body="".join(parts))
