"""The HTTP side: applies the faults, hands each request to routes.py, answers JSON.

Paths are Google's own, so a client reaches the stand-in by swapping only the host:
  /v4/spreadsheets/...           Sheets API v4 (https://sheets.googleapis.com)
  /drive/v3/files...             Drive API v3 (https://www.googleapis.com)
  /token                         OAuth token endpoint, for a service account's token_uri
  /v1/projects/-/serviceAccounts/{email}/allowedLocations
                                 IAM credentials (https://iamcredentials.googleapis.com), which
                                 google-auth asks after a token refresh: no location restriction
  /_emulator/faults|stats|reset  control for tests; /, /view/{id} pages for people

It runs on a game master's laptop, and its sheets hold login codes: it answers only requests for its
own names (localhost, 127.0.0.1, [::1] or its --host, with its port), so that no web page can read it
through a DNS name of its own pointed at 127.0.0.1 (DNS rebinding); and it refuses any other method
than GET from a browser on another site, and control requests that are not JSON (which a page cannot
send elsewhere without asking first). Clients of Google's APIs (gspread, requests) send neither
Origin nor Sec-Fetch-Site.
"""

import json
import logging
import re
import secrets
import signal
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import view
from .errors import ApiError, quota_exceeded
from .faults import Faults, Traffic
from .routes import classify, drive_files, refuse_forbidden, sheets
from .store import Store

logger = logging.getLogger(__name__)

_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_ALLOWED_LOCATIONS_PATH = re.compile(r"^/v1/projects/-/serviceAccounts/[^/]+/allowedLocations$")
LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")
# Every address of the machine: no name of its own.
ANY_ADDRESS = ("", "0.0.0.0", "::")  # noqa: S104 -- names, not bound here


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, store, faults):
        super().__init__(address, Handler)
        self.store = store
        self.faults = faults
        self.traffic = Traffic()
        self.traffic.seed(faults.seed)
        port = self.server_address[1]
        names = set(LOCAL_NAMES) if address[0] in ANY_ADDRESS else {*LOCAL_NAMES, address[0]}
        # The Host header a client sends: the name and the port, or the name alone for port 80.
        self.hosts = {f"{name}:{port}" for name in names} | (names if port == 80 else set())
        self.origins = {f"http://{host}" for host in self.hosts}

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
        refused = self.refusal(parts.path)
        if refused:
            logger.warning("Sheets API stand-in refused %s %s: %s", self.command, self.path, refused)
            self.send_answer(403, ApiError(403, refused).body())
            return
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

    def refusal(self, path):
        """Why a web page, not a client of the APIs, may have sent this request; None if it may not."""
        if self.headers.get("Host") not in self.server.hosts:
            return (
                "Unknown Host: the stand-in answers only for its own names (localhost, 127.0.0.1) and port."
            )
        if self.command == "GET":
            return None
        origin = self.headers.get("Origin")
        if origin is not None and origin not in self.server.origins:
            return "Cross-site requests are refused."
        if self.headers.get("Sec-Fetch-Site", "none") not in ("same-origin", "none"):
            return "Cross-site requests are refused."
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if path.startswith("/_emulator/") and content_type != "application/json":
            return "The control endpoints take JSON (Content-Type: application/json)."
        return None

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
        check_credentials(self.headers.get("Authorization"))
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
            self.send_text(status, json.dumps(answer, ensure_ascii=False), "application/json")

    def send_text(self, status, text, content_type):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def check_credentials(authorization):
    """Any bearer token will do. Google answers a request without credentials 403, as the APIs also
    take API keys, and one with credentials it cannot read 401."""
    if authorization is None:
        raise ApiError(403, "The request is missing a valid API key.")
    scheme, _, credential = authorization.partition(" ")
    if scheme != "Bearer" or not credential.strip():
        raise ApiError(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
            "or other valid authentication credential. "
            "See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )


def token(raw_body):
    """An OAuth token for a service account's signed JWT; the JWT itself is not checked.

    Errors here take OAuth's shape, not the APIs' one: {"error": "...", "error_description": "..."}.
    """
    form = parse_qs(raw_body.decode("utf-8"))
    if form.get("grant_type", [""])[0] != _JWT_GRANT:
        return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}
    if not form.get("assertion", [""])[0]:
        return 400, {"error": "invalid_request", "error_description": "Missing required parameter: assertion"}
    access_token = "emulator-" + secrets.token_urlsafe(24)
    return 200, {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"}


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
