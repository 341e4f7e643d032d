"""Which handler answers which of Google's paths, and how the stats name each kind of request."""

import json
import re
from urllib.parse import unquote

from . import batch_update, drive, metadata, values
from .errors import ApiError

SHEETS_PATH = re.compile(r"^/v4/spreadsheets/([^/:]+)(.*)$")
DRIVE_PATH = re.compile(
    r"^/drive/v3/files(?:/([^/]+)(?:/(copy|export|comments|permissions)(?:/([^/]+))?)?)?$"
)


def drive_files(store, method, path, query, body):
    """Route a /drive/v3/files request."""
    match = DRIVE_PATH.match(path)
    if not match:
        raise ApiError.not_found()
    file_id, action, item = match.groups()
    if item is not None and (action != "permissions" or method != "DELETE"):
        raise ApiError.not_found()
    if file_id is None and method == "POST":
        return 200, drive.create(store, body)
    if file_id is None and method == "GET":
        return 200, drive.file_list(store, query)
    file_id = unquote(file_id)
    if action is None and method == "GET":
        return 200, drive.get(store, file_id, query)
    if action is None and method == "DELETE":
        drive.delete(store, file_id)
        return 204, None
    if action == "copy" and method == "POST":
        return 200, drive.copy(store, file_id, body)
    if action == "export" and method == "GET":
        return 200, drive.export_csv(store, file_id, query)
    if action == "comments" and method == "GET":
        return 200, drive.comments(store, file_id)
    if action == "permissions" and method == "POST":
        return 200, drive.create_permission(store, file_id, body)
    if action == "permissions" and method == "GET":
        return 200, drive.permissions(store, file_id, query)
    if action == "permissions" and method == "DELETE":
        drive.delete_permission(store, file_id, unquote(item))
        return 204, None
    raise ApiError.not_found()


def sheets(store, method, path, query, body):
    """Route a /v4/spreadsheets request. Writes apply all or nothing: a failed one restores a copy."""
    match = SHEETS_PATH.match(path)
    if not match:
        raise ApiError.not_found()
    spreadsheet = store.get(unquote(match.group(1)))
    rest = match.group(2)
    if method == "GET":
        return 200, sheets_read(spreadsheet, rest, query)
    # A JSON round trip copies the (JSON-only) spreadsheet faster than copy.deepcopy.
    backup = json.loads(json.dumps(spreadsheet))
    try:
        answer = sheets_write(spreadsheet, method, rest, query, body)
    except ApiError:
        spreadsheet.clear()
        spreadsheet.update(backup)
        raise
    store.touch(spreadsheet)
    return 200, answer


def sheets_read(spreadsheet, rest, query):
    if rest == "":
        return metadata.spreadsheet_answer(spreadsheet, query)
    if rest == "/values:batchGet":
        return values.batch_get(spreadsheet, query)
    if rest.startswith("/values/"):
        return values.get(spreadsheet, unquote(rest.removeprefix("/values/")), query)
    raise ApiError.not_found()


def sheets_write(spreadsheet, method, rest, query, body):
    if method == "POST" and rest == ":batchUpdate":
        return batch_update.batch_update(spreadsheet, body)
    if method == "POST" and rest == "/values:batchUpdate":
        return values.batch_update(spreadsheet, body)
    if method == "POST" and rest == "/values:batchClear":
        return values.batch_clear(spreadsheet, body)
    if rest.startswith("/values/"):
        range_text, _, verb = rest.removeprefix("/values/").rpartition(":")
        if method == "PUT":
            return values.update(spreadsheet, unquote(rest.removeprefix("/values/")), query, body)
        if method == "POST" and verb == "append":
            return values.append(spreadsheet, unquote(range_text), query, body)
        if method == "POST" and verb == "clear":
            return values.clear(spreadsheet, unquote(range_text))
    raise ApiError.not_found()


def classify(method, path):
    """The endpoint kind for the stats, and whether Google counts it as a read or a write."""
    access = "read" if method == "GET" else "write"
    match = SHEETS_PATH.match(path)
    if match:
        rest = match.group(2)
        if rest == "":
            return "spreadsheets.get", access
        if rest == ":batchUpdate":
            return "spreadsheets.batchUpdate", access
        if rest.startswith("/values:"):
            return "values." + rest.removeprefix("/values:"), access
        verb = rest.rpartition(":")[2] if rest.rpartition(":")[2] in ("append", "clear") else None
        return "values." + (verb or {"GET": "get", "PUT": "update"}.get(method, method.lower())), access
    match = DRIVE_PATH.match(path)
    if match:
        file_id, action, _ = match.groups()
        if action == "permissions":
            return "drive.permissions." + {"GET": "list", "POST": "create"}.get(
                method, method.lower()
            ), access
        if action:
            return f"drive.files.{action}", access
        if file_id is None:
            return ("drive.files.list" if method == "GET" else "drive.files.create"), access
        return f"drive.files.{method.lower()}", access
    return "unknown", access


def refuse_forbidden(path, forbidden):
    sheets_match = SHEETS_PATH.match(path)
    if sheets_match and unquote(sheets_match.group(1)) in forbidden:
        raise ApiError(403, "The caller does not have permission")
    drive_match = DRIVE_PATH.match(path)
    if drive_match and drive_match.group(1) and unquote(drive_match.group(1)) in forbidden:
        raise ApiError(404, f"File not found: {unquote(drive_match.group(1))}.")
