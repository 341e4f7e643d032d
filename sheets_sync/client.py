"""The gspread client the sync talks to Google with.

gspread has no base-URL option and its own BackOffHTTPClient retries without bound, so the sync uses
SheetsHTTPClient: gspread's HTTPClient with Google's addresses rewritten to settings.SHEETS_API_URL
(a local stand-in in tests and demos), a timeout on every call, and retries with capped exponential
backoff and jitter that stop at a deadline, so that one run never outlasts the cron interval.
"""

import random
import time

import gspread
import requests
from django.conf import settings
from google.auth import exceptions as auth_exceptions
from google.oauth2 import service_account
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

GOOGLE_API_URL = "https://sheets.googleapis.com"
GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]

# Worth another try: quota (429) and Google's own trouble (5xx). Anything else (400, 403, 404) will
# answer the same way until someone changes the sheet or its sharing.
RETRY_STATUSES = {429, 500, 502, 503, 504}
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 8.0


class SheetsError(Exception):
    """Google could not be reached or refused a call. The run stops cleanly; the next one catches up."""

    def __init__(self, message, *, status=None):
        super().__init__(message)
        self.status = status  # Google's HTTP status when it answered


class CredentialsError(SheetsError):
    """The service account key is missing, unreadable or refused: no game can be synced."""


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client with our base URL, timeouts, bounded retries and a count of calls."""

    def __init__(self, auth, session=None):
        super().__init__(auth, session)
        self.timeout = settings.SHEETS_TIMEOUT
        self.start(settings.SHEETS_RUN_SECONDS)

    def start(self, seconds: float, before_attempt=None) -> None:
        """Give the calls to come `seconds` in all, retries included, and count them from zero.

        `before_attempt()`, when given, runs before every attempt of every call, and may raise to
        stop the run (the sync spends its quota and renews its lease on the game there). It is given
        the call's access: "read" or "write" for Sheets calls, "drive" for Drive's, which count against
        another quota."""
        self.deadline = time.monotonic() + seconds
        self.before_attempt = before_attempt
        self.reads = 0
        self.writes = 0
        self.drive_calls = 0
        self.retries = 0

    @property
    def calls(self) -> int:
        return self.reads + self.writes

    def request(self, method, endpoint, params=None, data=None, json=None, files=None, headers=None):
        url = rewrite_url(endpoint)
        if "/drive/" in endpoint:
            access = "drive"
            self.drive_calls += 1
        elif method.lower() == "get":
            access = "read"
            self.reads += 1
        else:
            access = "write"
            self.writes += 1
        attempt = 0
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise SheetsError(f"out of time before {method.upper()} {url}")
            if self.before_attempt is not None:
                self.before_attempt(access)
            try:
                response = self.session.request(
                    method=method,
                    url=url,
                    params=params,
                    data=data,
                    json=json,
                    files=files,
                    headers=headers,
                    timeout=min(self.timeout, remaining),
                )
            except auth_exceptions.RefreshError as error:
                if not error.retryable:
                    raise CredentialsError(
                        f"Google refused the service account's credentials: {error}"
                    ) from error
                problem = f"token refresh failed ({error})"
            except (requests.RequestException, auth_exceptions.TransportError) as error:
                problem = f"{type(error).__name__}"
            else:
                if response.ok:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    error = APIError(response)
                    raise SheetsError(describe(method, url, error), status=response.status_code) from None
                problem = f"HTTP {response.status_code}"
            attempt += 1
            # Capped exponential backoff with jitter, so that several servers do not retry in step.
            backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (attempt - 1))
            delay = backoff / 2 + random.uniform(0, backoff / 2)
            if time.monotonic() + delay >= self.deadline:
                raise SheetsError(f"{method.upper()} {url} failed {attempt} times, last with {problem}")
            self.retries += 1
            time.sleep(delay)


def rewrite_url(url: str) -> str:
    base = settings.SHEETS_API_URL.rstrip("/")
    if base == GOOGLE_API_URL:
        return url
    for host in GOOGLE_HOSTS:
        if url.startswith(host):
            return base + url[len(host) :]
    return url


def describe(method, url, error: APIError) -> str:
    return f"{method.upper()} {url} answered {error.code}: {error.error.get('message', '')}".strip()


def sheets_client() -> gspread.Client:
    """A gspread client logged in with the service account key named by SHEETS_CREDENTIALS_FILE."""
    path = settings.SHEETS_CREDENTIALS_FILE
    if not path:
        raise CredentialsError("SHEETS_CREDENTIALS_FILE is not set: name a service account's JSON key file.")
    try:
        credentials = service_account.Credentials.from_service_account_file(path, scopes=SCOPES)
    except OSError as error:
        raise CredentialsError(f"Cannot read SHEETS_CREDENTIALS_FILE {path}: {error.strerror}.") from error
    except (ValueError, KeyError) as error:
        raise CredentialsError(
            f"SHEETS_CREDENTIALS_FILE {path} is not a service account key: {error}"
        ) from error
    return gspread.Client(auth=credentials, http_client=SheetsHTTPClient)
