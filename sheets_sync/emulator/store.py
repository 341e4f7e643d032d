"""Every spreadsheet the stand-in holds, kept in memory and, with a data file, on disk.

One lock guards everything: requests are small and a test server sees few at once, so a single writer
at a time keeps the data simple to reason about. The file is written whole after each change, to a
temporary file renamed over the old one, so a crash never leaves half a file.
"""

import copy
import datetime
import json
import os
import secrets
import string
import tempfile
import threading
from pathlib import Path

from . import grid
from .errors import ApiError

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


def now():
    """Drive's timestamp format: 2023-08-17T10:53:13.829Z."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_spreadsheet_id():
    """44 characters from Google's alphabet, like the ids Drive hands out."""
    return "1" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(43))


def new_sheet_id():
    return secrets.randbelow(2**31 - 1) + 1


def default_sheet_properties(sheet_id=0, title="Sheet1", index=0):
    return {
        "sheetId": sheet_id,
        "title": title,
        "index": index,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 1000, "columnCount": 26},
    }


class Store:
    def __init__(self, path=None):
        self.path = Path(path) if path else None
        self.lock = threading.RLock()
        self.spreadsheets = {}
        if self.path and self.path.exists():
            self.spreadsheets = json.loads(self.path.read_text(encoding="utf-8"))["spreadsheets"]

    def create(self, title, modified_time=None):
        """A new spreadsheet as Drive makes one: a single empty `Sheet1` of 1000 rows by 26 columns."""
        created = now()
        spreadsheet = {
            "spreadsheetId": new_spreadsheet_id(),
            "properties": {
                "title": title,
                "locale": "en_US",
                "autoRecalc": "ON_CHANGE",
                "timeZone": "Etc/GMT",
            },
            "sheets": [grid.new_sheet(default_sheet_properties())],
            "createdTime": created,
            "modifiedTime": modified_time or created,
        }
        self.spreadsheets[spreadsheet["spreadsheetId"]] = spreadsheet
        return spreadsheet

    def copy(self, source, title):
        spreadsheet = copy.deepcopy(source)
        spreadsheet["spreadsheetId"] = new_spreadsheet_id()
        spreadsheet["properties"]["title"] = title
        spreadsheet["createdTime"] = spreadsheet["modifiedTime"] = now()
        self.spreadsheets[spreadsheet["spreadsheetId"]] = spreadsheet
        return spreadsheet

    def get(self, spreadsheet_id):
        try:
            return self.spreadsheets[spreadsheet_id]
        except KeyError:
            raise ApiError.not_found() from None

    def delete(self, spreadsheet_id):
        self.get(spreadsheet_id)
        del self.spreadsheets[spreadsheet_id]

    def touch(self, spreadsheet):
        spreadsheet["modifiedTime"] = now()

    def reset(self):
        self.spreadsheets = {}
        self.save()

    def save(self):
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(json.dumps({"spreadsheets": self.spreadsheets}, ensure_ascii=False))
        os.replace(temporary, self.path)
