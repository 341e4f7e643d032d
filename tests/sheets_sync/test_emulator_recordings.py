"""Replay real Google traffic against the stand-in: every recorded answer must come back the same.

The recordings (../shared/sheets-api-recordings, see its README) are gspread's own test cassettes,
recorded against Google. Each file is replayed in order against an empty stand-in. Google's ids are
not ours: the replay learns which of our ids stands for which recorded one from the answers
(`spreadsheetId`, `sheetId`, Drive's `id`) and writes ours into the later requests.

What may differ, as the README allows: ids, timestamps, `spreadsheetUrl`, headers, and the
`defaultFormat`/`spreadsheetTheme` blocks, which the stand-in leaves out.

The recorded account already held spreadsheets that a Drive listing shows; the stand-in starts empty.
So before a listing the replay creates, through Drive, each file it shows that the replay has not met
yet, with its recorded name and modification time (Drive lets a client set modifiedTime).
"""

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

RECORDINGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "sheets-api-recordings"
FILES = sorted(RECORDINGS.glob("*.json")) if RECORDINGS.is_dir() else []
IGNORED_KEYS = {"spreadsheetUrl", "defaultFormat", "spreadsheetTheme", "createdTime", "modifiedTime"}
ID_KEYS = {"spreadsheetId", "sheetId", "id"}
SPREADSHEET_MIME_TYPE = "application/vnd.google-apps.spreadsheet"


@pytest.mark.skipif(not FILES, reason=f"no recordings in {RECORDINGS} (the shared folder is absent)")
@pytest.mark.parametrize("recording", FILES or [None], ids=lambda path: path.stem if path else "none")
def test_the_stand_in_answers_as_google_did(sheets_emulator, recording):
    replay = Replay(sheets_emulator)
    interactions = json.loads(recording.read_text(encoding="utf-8"))["interactions"]
    for number, interaction in enumerate(interactions):
        replay.play(number, interaction["request"], interaction["response"])


class Replay:
    def __init__(self, emulator):
        self.emulator = emulator
        self.ids = {}

    def play(self, number, request, response):
        recorded = response["body"]["string"]
        self.create_files_the_account_held(recorded)
        parts = urlsplit(request["uri"])
        url = (
            self.emulator.url + self.ours(parts.path) + ("?" + self.ours(parts.query) if parts.query else "")
        )
        body = request["body"]
        answer = self.emulator.session.request(
            request["method"],
            url,
            data=json.dumps(self.ours_in(json.loads(body))).encode() if body else None,
            headers={"Content-Type": "application/json"} if body else {},
            timeout=10,
        )
        where = f"interaction #{number}: {request['method']} {request['uri']}"
        assert answer.status_code == response["status"]["code"], f"{where}\n{answer.text}"
        try:
            expected = json.loads(recorded)
        except ValueError:
            assert answer.text == recorded, where
            return
        self.compare(expected, answer.json(), where)

    def create_files_the_account_held(self, recorded):
        if '"drive#fileList"' not in recorded:
            return
        for file in json.loads(recorded)["files"]:
            if file["id"] not in self.ids:
                created = self.emulator.session.post(
                    f"{self.emulator.url}/drive/v3/files",
                    json={
                        "name": file["name"],
                        "mimeType": SPREADSHEET_MIME_TYPE,
                        "modifiedTime": file["modifiedTime"],
                    },
                    timeout=10,
                ).json()
                self.ids[file["id"]] = created["id"]

    def ours(self, text):
        """A recorded URI part with the recorded spreadsheet ids swapped for ours."""
        for theirs, mine in self.ids.items():
            if isinstance(theirs, str):
                text = text.replace(theirs, mine)
        return text

    def ours_in(self, value, key=None):
        if isinstance(value, dict):
            return {name: self.ours_in(item, name) for name, item in value.items()}
        if isinstance(value, list):
            return [self.ours_in(item) for item in value]
        if key in ID_KEYS and value in self.ids:
            return self.ids[value]
        return value

    def compare(self, expected, actual, where, path="", key=None):
        if key in ID_KEYS and not isinstance(expected, dict | list):
            self.ids.setdefault(expected, actual)
            assert self.ids[expected] == actual, f"{where}\nat {path}: id {actual!r} stands for {expected!r}?"
            return
        if isinstance(expected, dict):
            assert isinstance(actual, dict), f"{where}\nat {path}: expected an object, got {actual!r}"
            keys = set(expected) - IGNORED_KEYS
            assert keys == set(actual) - IGNORED_KEYS, (
                f"{where}\nat {path}: keys {sorted(keys)} vs {sorted(actual)}"
            )
            for name in keys:
                self.compare(expected[name], actual[name], where, f"{path}.{name}", name)
        elif isinstance(expected, list):
            assert isinstance(actual, list) and len(actual) == len(expected), (
                f"{where}\nat {path}: expected {expected!r}\ngot {actual!r}"
            )
            for index, (item, got) in enumerate(zip(expected, actual, strict=True)):
                self.compare(item, got, where, f"{path}[{index}]")
        else:
            assert (
                expected == actual
                and type(expected) is type(actual)
                or (
                    isinstance(expected, int | float)
                    and not isinstance(expected, bool)
                    and expected == actual
                )
            ), f"{where}\nat {path}: expected {expected!r}, got {actual!r}"
