"""A local stand-in for Google's Sheets API v4 and the bits of Drive v3 that gspread uses.

Google cannot be reached from our machines, and the tests must not mock gspread: the real client talks
HTTP to this server instead, with only the host of its URLs changed. Plain Python, no Django: start it
with `python manage.py sheets_emulator` or, in tests, with `server.make_server()` in a thread.

  a1.py            A1 notation: parsing and printing ranges
  cells.py         one cell: typed input (RAW / USER_ENTERED) and rendered output
  grid.py          one sheet's cells and size; resolving a range against a spreadsheet
  store.py         all spreadsheets, the lock, the JSON data file
  values.py        spreadsheets.values.* endpoints
  batch_update.py  spreadsheets:batchUpdate requests
  metadata.py      GET of a spreadsheet (with includeGridData, ranges, fields)
  drive.py         Drive files: create, get, list, copy, delete, export, comments
  fields.py        the `fields` partial-answer parameter
  faults.py        latency, errors, quotas, dropped connections; request counts
  view.py          read-only HTML pages
  routes.py        which handler answers which path
  server.py        HTTP, faults, control endpoints, the OAuth token endpoint
"""
