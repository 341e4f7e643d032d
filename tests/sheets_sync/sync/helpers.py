"""What the sync tests do to a sheet: run the command, read tabs, type as a game master would."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from gspread.utils import absolute_range_name


def sync(*args):
    """Run `manage.py sync_sheets`; return what it printed, or raise CommandError as cron would see it."""
    out = _Output()
    call_command("sync_sheets", *args, stdout=out, stderr=out)
    return out.text


def sync_fails(*args):
    """Run a sync that must fail; return its one error line."""
    with pytest.raises(CommandError) as failure:
        sync(*args)
    return str(failure.value)


class _Output:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def rows(sheets_emulator, game_sheet, title):
    """A tab as a game master sees it: a list of {header: text} dicts, blank rows left out."""
    values = read(sheets_emulator, game_sheet, title)
    header = [str(cell) for cell in values[0]]
    return [
        {name: str(row[i]) if i < len(row) else "" for i, name in enumerate(header)}
        for row in values[1:]
        if any(str(cell).strip() for cell in row)
    ]


def read(sheets_emulator, game_sheet, title, render="FORMATTED_VALUE"):
    url = f"{sheets_emulator.url}/v4/spreadsheets/{game_sheet.spreadsheet_key}/values/{title}"
    response = sheets_emulator.session.get(url, params={"valueRenderOption": render}, timeout=5)
    response.raise_for_status()
    return response.json().get("values", [])


def type_in(sheets_emulator, game_sheet, title, a1, values):
    """What a game master types: USER_ENTERED, so numbers become numbers and '=…' a formula."""
    url = f"{sheets_emulator.url}/v4/spreadsheets/{game_sheet.spreadsheet_key}/values/"
    url += absolute_range_name(title, a1)
    response = sheets_emulator.session.put(
        url, params={"valueInputOption": "USER_ENTERED"}, json={"values": values}, timeout=5
    )
    response.raise_for_status()


def row_number(sheets_emulator, game_sheet, title, pk):
    """The sheet row (1-based) holding id `pk`."""
    for number, row in enumerate(read(sheets_emulator, game_sheet, title), start=1):
        if row and str(row[0]) == str(pk):
            return number
    raise AssertionError(f"no row with id {pk} in {title}")


class Calls:
    """Sheets API reads and writes, and Drive listings, the stand-in saw while the block ran:
    `with Calls(emulator) as calls: ...`"""

    def __init__(self, sheets_emulator):
        self.emulator = sheets_emulator

    def __enter__(self):
        self.before = self.emulator.stats()
        return self

    def __exit__(self, *exc):
        after = self.emulator.stats()
        # Drive's list of files is a read on Drive's quota, not on the Sheets API's.
        self.drive = after["by_kind"].get("drive.files.list", 0) - self.before["by_kind"].get(
            "drive.files.list", 0
        )
        self.reads = after["reads"] - self.before["reads"] - self.drive
        self.writes = after["writes"] - self.before["writes"]
