"""Google's per-minute quota of Sheets calls, spent deliberately by every sync process together.

Google allows a service account SHEETS_READS_PER_MINUTE reads and SHEETS_WRITES_PER_MINUTE writes a
minute (60 each by default) and answers 429 past them. Every attempt of every call takes its share
here first, counted where every process and server sees it (game.ratelimit's counters: Redis, or the
database). The counts are kept per 10-second window: any 60 seconds meet at most 7 windows, so a
window gets a seventh of the per-minute quota (8 of 60), and no minute can hold more than 56. A run
that finds its window spent waits for the next one while its time allows, and leaves the rest of its
games for the next run otherwise (`deferred` in its summary): no 429, no failed run.

State: one counter per access and window, kept 11 seconds (game.ratelimit's store).
"""

import math
import time

from django.conf import settings

from game import ratelimit

WINDOW_SECONDS = 10
WINDOWS_PER_MINUTE = 7  # the most 10-second windows that 60 seconds can meet


class Spent(Exception):
    """This window's share of the quota is used up; the next window starts in `wait` seconds."""

    def __init__(self, access, wait):
        super().__init__(f"the {access} quota of this {WINDOW_SECONDS}-second window is spent")
        self.wait = wait


def per_window(access: str) -> int:
    per_minute = settings.SHEETS_READS_PER_MINUTE if access == "read" else settings.SHEETS_WRITES_PER_MINUTE
    return max(1, per_minute // WINDOWS_PER_MINUTE)


def take(access: str) -> None:
    """Count one call against this window's share; raise Spent, counting nothing, when it is used up."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"sheets-budget:{access}:{window}"
    counters = ratelimit.store()
    if counters.add(key, WINDOW_SECONDS) > per_window(access):
        counters.remove(key)
        raise Spent(access, math.ceil((window + 1) * WINDOW_SECONDS - now))
