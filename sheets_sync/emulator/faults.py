"""Trouble on demand, and the counts that show what a client did.

Faults make the stand-in behave like Google on a bad day: added latency, a share of 500/503 answers,
Google's per-user quota of read and write requests per minute (429 past it), a share of connections
closed without an answer, and spreadsheets the client has no right to. They come from command-line
flags, from SHEETS_EMULATOR_* environment variables, and at run time from `POST /_emulator/faults`.
"""

import collections
import random
import threading
import time
from dataclasses import asdict, dataclass, field, fields

from .errors import ApiError

QUOTA_WINDOW_SECONDS = 60


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    # 0 means no quota. Google's default is 60 of each per minute per user.
    read_quota_per_minute: int = 0
    write_quota_per_minute: int = 0
    # Set it to make the random draws repeat from one run to the next.
    seed: int | None = None
    # Spreadsheet ids the client may not open, as when one is not shared with the service account:
    # the Sheets API answers 403 PERMISSION_DENIED for them, Drive 404 as if they did not exist.
    forbidden: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data):
        """Faults from JSON; what is left out is off, so `{}` turns every fault off."""
        unknown = set(data) - {field.name for field in fields(cls)}
        if unknown:
            raise ApiError.bad_request(f"Unknown fault settings: {', '.join(sorted(unknown))}")
        faults = cls(**data)
        if not (0 <= faults.error_rate <= 1 and 0 <= faults.drop_rate <= 1):
            raise ApiError.bad_request("error_rate and drop_rate are shares between 0 and 1.")
        if min(faults.latency_ms, faults.read_quota_per_minute, faults.write_quota_per_minute) < 0:
            raise ApiError.bad_request("latency_ms and the quotas cannot be negative.")
        if not isinstance(faults.forbidden, list) or not all(
            isinstance(item, str) for item in faults.forbidden
        ):
            raise ApiError.bad_request("forbidden is a list of spreadsheet ids.")
        return faults

    @classmethod
    def from_env(cls, environ):
        """SHEETS_EMULATOR_LATENCY_MS, _ERROR_RATE, _DROP_RATE, _QUOTA_PER_MINUTE (both quotas),
        _READ_QUOTA_PER_MINUTE and _WRITE_QUOTA_PER_MINUTE (one each), _SEED."""
        quota = environ.get("SHEETS_EMULATOR_QUOTA_PER_MINUTE", 0)
        seed = environ.get("SHEETS_EMULATOR_SEED")
        return cls.from_dict(
            {
                "latency_ms": int(environ.get("SHEETS_EMULATOR_LATENCY_MS", 0)),
                "error_rate": float(environ.get("SHEETS_EMULATOR_ERROR_RATE", 0)),
                "drop_rate": float(environ.get("SHEETS_EMULATOR_DROP_RATE", 0)),
                "read_quota_per_minute": int(environ.get("SHEETS_EMULATOR_READ_QUOTA_PER_MINUTE", quota)),
                "write_quota_per_minute": int(environ.get("SHEETS_EMULATOR_WRITE_QUOTA_PER_MINUTE", quota)),
                "seed": None if seed is None else int(seed),
            }
        )

    def as_dict(self):
        return asdict(self)


class Traffic:
    """Request counts for /_emulator/stats, and the sliding windows the quotas are checked against."""

    def __init__(self):
        self.lock = threading.Lock()
        self.random = random.Random()
        self.reset()

    def reset(self):
        with self.lock:
            self.started = time.monotonic()
            self.total = 0
            self.reads = 0
            self.writes = 0
            self.recent = collections.deque()
            self.by_method = collections.Counter()
            self.by_kind = collections.Counter()
            self.by_status = collections.Counter()
            self.dropped = 0
            self.accepted = {"read": collections.deque(), "write": collections.deque()}

    def seed(self, seed):
        self.random.seed(seed)

    def chance(self, share):
        with self.lock:
            return share > 0 and self.random.random() < share

    def record(self, method, kind, access):
        now = time.monotonic()
        with self.lock:
            self.total += 1
            self.reads += access == "read"
            self.writes += access == "write"
            self.recent.append(now)
            self.by_method[method] += 1
            self.by_kind[kind] += 1

    def answered(self, status):
        with self.lock:
            self.by_status[str(status)] += 1

    def drop(self):
        with self.lock:
            self.dropped += 1

    def within_quota(self, access, limit):
        """Count one request against the quota; False when the last minute already holds `limit`."""
        if not limit:
            return True
        now = time.monotonic()
        with self.lock:
            window = self.accepted[access]
            while window and window[0] <= now - QUOTA_WINDOW_SECONDS:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True

    def snapshot(self):
        now = time.monotonic()
        with self.lock:
            while self.recent and self.recent[0] <= now - 60:
                self.recent.popleft()
            return {
                "total": self.total,
                "per_minute": len(self.recent),
                "reads": self.reads,
                "writes": self.writes,
                "by_method": dict(self.by_method),
                "by_kind": dict(self.by_kind),
                "by_status": dict(self.by_status),
                "dropped": self.dropped,
                "uptime_seconds": round(now - self.started, 3),
            }
