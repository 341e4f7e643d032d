"""The HTTP side: routes Google's paths to the handlers, applies the faults, answers JSON.

Paths are Google's own, so a client reaches the stand-in by swapping only the host:
  /v4/spreadsheets/...           Sheets API v4 (https://sheets.googleapis.com)
  /drive/v3/files...             Drive API v3 (https://www.googleapis.com)
  /token                         OAuth token endpoint, for a service account's token_uri
  /v1/projects/-/serviceAccounts/{email}/allowedLocations
                                 IAM credentials (https://iamcredentials.googleapis.com), which
                                 google-auth asks after a token refresh: no location restriction
  /_emulator/faults|stats|reset  control for tests; /, /view/{id} pages for people
"""

import json
import logging
import re
import secrets
import signal
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import batch_update, drive, metadata, values, view
from .errors import ApiError, quota_exceeded
from .faults import Faults, Traffic
from .store import Store

logger = logging.getLogger(__name__)

_SHEETS_PATH = re.compile(r"^/v4/spreadsheets/([^/:]+)(.*)$")
_DRIVE_PATH = re.compile(r"^/drive/v3/files(?:/([^/]+)(?:/(copy|export|comments))?)?$")
_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_ALLOWED_LOCATIONS_PATH = re.compile(r"^/v1/projects/-/serviceAccounts/[^/]+/allowedLocations$")


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, store, faults):
        super().__init__(address, Handler)
        self.store = store
        self.faults = faults
        self.traffic = Traffic()
        self.traffic.seed(faults.seed)

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def set_faults(self, faults):
        self.faults = faults
        self.traffic.seed(faults.seed)


def make_server(port=0, data=None, faults=None, host="127.0.0.1"):
    """A server bound to `port` (0: any free port), not yet serving; call serve_forever()."""
    return EmulatorServer((host, port), Store(data), faults or Faults())


def run(port, data=None, faults=None, host="127.0.0.1"):
    """Serve until SIGTERM or Ctrl-C, then close the socket; the data file is already up to date."""
    server = make_server(port, data, faults, host)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    logger.info("Sheets API stand-in listening on %s", server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    logger.info("Sheets API stand-in stopped")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this the client waits for a delayed ACK.
    disable_nagle_algorithm = True
    server_version = "SheetsEmulator"

    def do_GET(self):
        self.answer()

    def do_POST(self):
        self.answer()

    def do_PUT(self):
        self.answer()

    def do_PATCH(self):
        self.answer()

    def do_DELETE(self):
        self.answer()

    def log_message(self, format, *args):
        logger.debug("%s - %s", self.address_string(), format % args)

    def answer(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            if parts.path.startswith("/_emulator/"):
                self.send_answer(200, self.control(parts.path, raw_body))
                return
            if parts.path == "/" or parts.path.startswith("/view/"):
                self.send_page(parts.path)
                return
        except ApiError as error:
            self.send_answer(error.code, error.body())
            return
        # From here on, a request a client made of Google: counted in the stats.
        try:
            if parts.path == "/token":
                self.server.traffic.record(self.command, "oauth.token", "other")
                result = token(raw_body)
            elif _ALLOWED_LOCATIONS_PATH.match(parts.path):
                self.server.traffic.record(self.command, "iam.allowedLocations", "other")
                result = 200, {"locations": [], "encodedLocations": "0x0"}
            else:
                result = self.api(parts.path, query, raw_body)
        except ApiError as error:
            result = error.code, error.body()
        except Exception:
            # A bug of ours: answer as Google does when it has one, and say where it was.
            logger.exception("Sheets API stand-in failed on %s %s", self.command, self.path)
            result = 500, ApiError(500, "Internal error encountered.").body()
        if result is not None:
            self.server.traffic.answered(result[0])
            self.send_answer(*result)

    def api(self, path, query, raw_body):
        """One Sheets or Drive request, after the faults have had their say; None when dropped."""
        kind, access = classify(self.command, path)
        server = self.server
        faults = server.faults
        server.traffic.record(self.command, kind, access)
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if server.traffic.chance(faults.drop_rate):
            server.traffic.drop()
            self.close_connection = True
            return None
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
            )
        if server.traffic.chance(faults.error_rate):
            if server.traffic.chance(0.5):
                raise ApiError(503, "The service is currently unavailable.")
            raise ApiError(500, "Internal error encountered.")
        if path.startswith("/v4/"):
            limit = faults.read_quota_per_minute if access == "read" else faults.write_quota_per_minute
            if not server.traffic.within_quota(access, limit):
                raise quota_exceeded(access.capitalize(), limit)
        refuse_forbidden(path, faults.forbidden)
        body = parse_json(raw_body)
        store = server.store
        with store.lock:
            if path.startswith("/drive/"):
                result = drive_files(store, self.command, path, query, body)
            else:
                result = sheets(store, self.command, path, query, body)
            if access == "write":
                store.save()
        return result

    def control(self, path, raw_body):
        server = self.server
        if path == "/_emulator/stats" and self.command == "GET":
            return server.traffic.snapshot()
        if path == "/_emulator/faults" and self.command == "GET":
            return server.faults.as_dict()
        if path == "/_emulator/faults" and self.command == "POST":
            server.set_faults(Faults.from_dict(parse_json(raw_body)))
            return server.faults.as_dict()
        if path == "/_emulator/reset" and self.command == "POST":
            with server.store.lock:
                server.store.reset()
            server.traffic.reset()
            return {}
        raise ApiError.not_found()

    def send_page(self, path):
        store = self.server.store
        with store.lock:
            if path == "/":
                page = view.index_page(store)
            else:
                page = view.spreadsheet_page(store.get(unquote(path.removeprefix("/view/"))))
        self.send_text(200, page, "text/html")

    def send_answer(self, status, answer):
        """JSON, or text for a CSV export, or nothing for a 204."""
        if status == 204:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif isinstance(answer, str):
            self.send_text(status, answer, "text/csv")
        else:
            self.send_text(status, json.dumps(answer, ensure_ascii=False, indent=2), "application/json")

    def send_text(self, status, text, content_type):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def drive_files(store, method, path, query, body):
    """Route a /drive/v3/files request."""
    match = _DRIVE_PATH.match(path)
    if not match:
        raise ApiError.not_found()
    file_id, action = match.groups()
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
    raise ApiError.not_found()


def sheets(store, method, path, query, body):
    """Route a /v4/spreadsheets request. Writes apply all or nothing: a failed one restores a copy."""
    match = _SHEETS_PATH.match(path)
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
    match = _SHEETS_PATH.match(path)
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
    match = _DRIVE_PATH.match(path)
    if match:
        file_id, action = match.groups()
        if action:
            return f"drive.files.{action}", access
        if file_id is None:
            return ("drive.files.list" if method == "GET" else "drive.files.create"), access
        return f"drive.files.{method.lower()}", access
    return "unknown", access


def refuse_forbidden(path, forbidden):
    sheets_match = _SHEETS_PATH.match(path)
    if sheets_match and unquote(sheets_match.group(1)) in forbidden:
        raise ApiError(403, "The caller does not have permission")
    drive_match = _DRIVE_PATH.match(path)
    if drive_match and drive_match.group(1) and unquote(drive_match.group(1)) in forbidden:
        raise ApiError(404, f"File not found: {unquote(drive_match.group(1))}.")


def token(raw_body):
    """An OAuth token for a service account's signed JWT; the JWT itself is not checked.

    Errors here take OAuth's shape, not the APIs' one: {"error": "...", "error_description": "..."}.
    """
    form = parse_qs(raw_body.decode("utf-8"))
    if form.get("grant_type", [""])[0] != _JWT_GRANT:
        return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}
    if not form.get("assertion", [""])[0]:
        return 400, {"error": "invalid_request", "error_description": "Missing required parameter: assertion"}
    token = "emulator-" + secrets.token_urlsafe(24)
    return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}


def parse_json(raw_body):
    if not raw_body.strip():
        return {}
    try:
        body = json.loads(raw_body)
    except ValueError:
        raise ApiError.bad_request("Invalid JSON payload received.") from None
    if not isinstance(body, dict):
        raise ApiError.bad_request("Invalid JSON payload received. The body must be a JSON object.")
    return body
