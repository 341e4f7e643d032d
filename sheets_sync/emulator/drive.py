"""The parts of Drive v3 that gspread uses: create, get, list, copy, delete, export and comments.

Drive's files here are the spreadsheets of the store; a file's name is its spreadsheet's title.
"""

import csv
import io
import re
import secrets

from . import fields, grid, values
from .errors import ApiError

SPREADSHEET_MIME_TYPE = "application/vnd.google-apps.spreadsheet"
_DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
# The field naming who a permission is for, by type of permission.
_PERMISSION_TARGETS = {"user": "emailAddress", "group": "emailAddress", "domain": "domain", "anyone": None}
_ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
_DEFAULT_LIST_FIELDS = "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)"
_CLAUSE = re.compile(
    r"""\s*(name|mimeType|trashed)\s*(=|!=|contains)\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|true|false)\s*(and\b|$)"""
)


def create(store, body):
    """Only spreadsheets can be created: a Sheet1 of 1000 x 26, as Google makes them.

    `modifiedTime` is writable, as on Drive; the replay test uses it to stand in for files the
    recorded account already held.
    """
    if body.get("mimeType") != SPREADSHEET_MIME_TYPE:
        raise ApiError.bad_request(f"This stand-in only creates files of type {SPREADSHEET_MIME_TYPE}.")
    spreadsheet = store.create(body.get("name") or "Untitled spreadsheet", body.get("modifiedTime"))
    return file_answer(spreadsheet, {})


def get(store, file_id, query):
    return file_answer(_find(store, file_id), query)


def delete(store, file_id):
    _find(store, file_id)
    store.delete(file_id)


def copy(store, file_id, body):
    source = _find(store, file_id)
    name = body.get("name") or f"Copy of {source['properties']['title']}"
    return file_answer(store.copy(source, name), {})


def file_list(store, query):
    # Newest first; of files modified in the same millisecond, the one created last.
    matches = [_file(spreadsheet) for spreadsheet in reversed(store.spreadsheets.values())]
    for clause in _clauses(query.get("q", [""])[0]):
        matches = [file for file in matches if clause(file)]
    matches.sort(key=lambda file: file["modifiedTime"], reverse=True)
    start = int(query.get("pageToken", ["0"])[0] or 0)
    size = int(query.get("pageSize", ["100"])[0])
    answer = {"kind": "drive#fileList", "incompleteSearch": False, "files": matches[start : start + size]}
    if start + size < len(matches):
        answer["nextPageToken"] = str(start + size)
    return fields.select(answer, fields.parse(query.get("fields", [_DEFAULT_LIST_FIELDS])[0]))


def export_csv(store, file_id, query):
    """The first sheet as CSV, the one format gspread's export tests ask for."""
    spreadsheet = _find(store, file_id)
    if query.get("mimeType", [""])[0] != "text/csv":
        raise ApiError.bad_request("The requested conversion is not supported.")
    sheet = grid.first_sheet(spreadsheet)
    rows, cols = grid.size(sheet)
    output = io.StringIO()
    csv.writer(output, lineterminator="\n").writerows(values.read(sheet, (0, rows, 0, cols)))
    return output.getvalue().rstrip("\n")


def create_permission(store, file_id, body):
    """Sharing, as gspread's share() asks it: kept and listed, not enforced (use the `forbidden` fault)."""
    spreadsheet = _find(store, file_id)
    kind = body.get("type")
    if kind not in _PERMISSION_TARGETS:
        raise ApiError.bad_request("The permission type field is required.")
    if body.get("role") not in _ROLES:
        raise ApiError.bad_request("The permission role field is required.")
    target = _PERMISSION_TARGETS[kind]
    if target and not body.get(target):
        raise ApiError.bad_request(f"The {target} field is required for a permission of type {kind}.")
    permission = {
        "kind": "drive#permission",
        "id": str(secrets.randbelow(10**20)),
        "type": kind,
        "role": body["role"],
    }
    if target:
        permission[target] = body[target]
    spreadsheet.setdefault("permissions", []).append(permission)
    return {name: permission[name] for name in ("kind", "id", "type", "role")}


def permissions(store, file_id, query):
    answer = {"kind": "drive#permissionList", "permissions": _find(store, file_id).get("permissions", [])}
    return fields.select(answer, fields.parse(query.get("fields", ["kind,permissions"])[0]))


def delete_permission(store, file_id, permission_id):
    spreadsheet = _find(store, file_id)
    kept = [item for item in spreadsheet.get("permissions", []) if item["id"] != permission_id]
    if len(kept) == len(spreadsheet.get("permissions", [])):
        raise ApiError(404, f"Permission not found: {permission_id}.")
    spreadsheet["permissions"] = kept


def comments(store, file_id):
    _find(store, file_id)
    return {"comments": []}


def file_answer(spreadsheet, query):
    return fields.select(_file(spreadsheet), fields.parse(query.get("fields", [_DEFAULT_FILE_FIELDS])[0]))


def _file(spreadsheet):
    return {
        "kind": "drive#file",
        "id": spreadsheet["spreadsheetId"],
        "name": spreadsheet["properties"]["title"],
        "mimeType": SPREADSHEET_MIME_TYPE,
        "trashed": False,
        "createdTime": spreadsheet["createdTime"],
        "modifiedTime": spreadsheet["modifiedTime"],
    }


def _find(store, file_id):
    try:
        return store.get(file_id)
    except ApiError:
        raise ApiError(404, f"File not found: {file_id}.") from None


def _clauses(query):
    """Drive's `q` as gspread sends it: `name = '…'`, `mimeType = '…'`, `trashed = false`, and `and`."""
    clauses = []
    position = 0
    while position < len(query.strip()):
        match = _CLAUSE.match(query, position)
        if not match:
            raise ApiError.bad_request("Invalid Value")
        name, operator, literal, _ = match.groups()
        wanted = literal == "true" if literal in ("true", "false") else re.sub(r"\\(.)", r"\1", literal[1:-1])
        clauses.append(_clause(name, operator, wanted))
        position = match.end()
    return clauses


def _clause(name, operator, wanted):
    if operator == "contains":
        return lambda file: str(wanted).lower() in str(file[name]).lower()
    if operator == "!=":
        return lambda file: file[name] != wanted
    return lambda file: file[name] == wanted
