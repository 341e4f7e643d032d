"""Limits on guessing: login codes, death codes and game-master passwords.

Only failures count. Each kind of guess is limited twice: strictly per client (a browser, told apart
by its CSRF cookie; a player's account for death codes; a user name in the admin) and generously per
IP address, because a whole venue shares one public address and must never be locked out by one
player's typos. While a limit is reached the code is not even looked at, so a right guess then says
nothing. docs/security.md works out what the limits leave an attacker.

In the admin, a browser that has logged in as a user keeps a signed device cookie naming them
(ADMIN_DEVICE_COOKIE, ADMIN_DEVICE_SECONDS, renewed at each login). Its guesses for that user count
under the cookie only, so a game master's own browser gets in while strangers have used up the user
name's limit. `manage.py unlock_admin` forgets the admin's counters.

Counters live where every gunicorn worker and every server sees them: in Redis when CACHE_URL points
at one (its INCR is atomic), else in the database (an UPDATE … SET count = count + 1). A guess is
counted before it is looked at and given back when it was right, so a burst of guesses at once gets no
more than the limit evaluated.

Past the address's limit, a login guess is still looked at when it comes with a solved puzzle (proof
of work): a challenge the refusal hands out, signed and good for PUZZLE.seconds, whose solution the
login page's script finds in a second or so. Each challenge is used once: the store keeps its
nonce's counter (PUZZLE) until it expires. So one attacker with fresh browsers cannot lock a venue
out, and pays for each guess with PUZZLE_BITS of hashing.
"""

import contextlib
import hashlib
import logging
import math
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int
    seconds: int
    # A guess with a solved puzzle is not counted against this limit (login_keys), so a refusal by it
    # alone hands out a puzzle.
    puzzle: bool = False


LOGIN_PER_CLIENT = Limit("login-client", 10, 10 * 60)
LOGIN_PER_IP = Limit("login-ip", 600, 10 * 60, puzzle=True)
DEATH_CODE_PER_PLAYER = Limit("death-code-player", 10, 60 * 60)
DEATH_CODE_PER_IP = Limit("death-code-ip", 300, 10 * 60)
ADMIN_PER_DEVICE = Limit("admin-device", 10, 15 * 60)
ADMIN_PER_CLIENT = Limit("admin-client", 10, 15 * 60)
ADMIN_PER_USER = Limit("admin-user", 100, 60 * 60)
ADMIN_PER_IP = Limit("admin-ip", 100, 15 * 60)
ADMIN_LIMITS = [ADMIN_PER_DEVICE, ADMIN_PER_CLIENT, ADMIN_PER_USER, ADMIN_PER_IP]
ADMIN_DEVICE_COOKIE = "admin_device"
ADMIN_DEVICE_SECONDS = 90 * 24 * 60 * 60
_ADMIN_DEVICE_SALT = "game.ratelimit.admin-device"
# A puzzle's challenge is good for 10 minutes, once.
PUZZLE = Limit("login-puzzle", 1, 10 * 60)
# 2^18 SHA-256 hashes on average: about a second in a browser, a few on a slow phone (docs/security.md).
PUZZLE_BITS = 18
# The script counts up from 0: a solution has six digits or so.
PROOF = re.compile(r"[0-9]{1,12}")


class RateLimited(Exception):
    def __init__(self, retry_after, puzzle=None):
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after
        # A new challenge when solving it lets the next try through (new_puzzle), else None.
        self.puzzle = puzzle

    @property
    def message(self):
        minutes = math.ceil(self.retry_after / 60)
        return ngettext(
            "Too many failed attempts. Try again in %(minutes)d minute.",
            "Too many failed attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}


def client_ip(request):
    """The client's address. Behind our proxy, the last X-Forwarded-For entry: the one nginx added."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")


def client_id(request):
    """One browser: its CSRF cookie, which every page sets and every POST must carry."""
    return request.COOKIES.get(settings.CSRF_COOKIE_NAME) or None


def login_keys(request, challenge="", proof=""):
    """The limits of a login guess: the address's stands aside for a guess with a solved puzzle."""
    keys = [(LOGIN_PER_CLIENT, client_id(request))]
    if not (challenge and puzzle_solved(challenge, proof)):
        keys.append((LOGIN_PER_IP, client_ip(request)))
    return keys


def death_code_keys(request, player):
    return [(DEATH_CODE_PER_PLAYER, str(player.pk)), (DEATH_CODE_PER_IP, client_ip(request))]


def admin_keys(request, username):
    name = _admin_name(username)
    device = _admin_device(request)
    if name and device and device[0] == name:
        # A browser this user has logged in from: strangers' guesses on the user name do not lock it.
        return [(ADMIN_PER_DEVICE, device[1])]
    return [
        (ADMIN_PER_CLIENT, client_id(request)),
        (ADMIN_PER_USER, name or None),
        (ADMIN_PER_IP, client_ip(request)),
    ]


def admin_trust_device(response, user):
    """After a successful admin login: this browser is one of the user's devices from now on."""
    value = signing.dumps(
        [_admin_name(user.get_username()), secrets.token_urlsafe(16)], salt=_ADMIN_DEVICE_SALT
    )
    response.set_cookie(
        ADMIN_DEVICE_COOKIE,
        value,
        max_age=ADMIN_DEVICE_SECONDS,
        path="/admin/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def admin_unlock(username):
    """Lifts the lock strangers' wrong passwords put on a user name. Returns the failures forgotten."""
    key = _key(ADMIN_PER_USER, _admin_name(username), _now())
    counters = store()
    failures = counters.counts([key]).get(key, 0)
    counters.forget(key)
    return failures


def admin_unlock_all():
    """Forgets every admin counter: user names, browsers, devices and addresses. Returns how many."""
    return store().forget_all([f"rl:{limit.name}:" for limit in ADMIN_LIMITS])


def _admin_name(username):
    return (username or "").strip().lower()


def _admin_device(request):
    """(user name, device id) from a valid device cookie, else None."""
    value = request.COOKIES.get(ADMIN_DEVICE_COOKIE)
    if not value:
        return None
    try:
        name, device = signing.loads(value, salt=_ADMIN_DEVICE_SALT, max_age=ADMIN_DEVICE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return name, device


def take(keys):
    """Counts one attempt against each of these limits before the guess is looked at, and raises
    RateLimited when that goes past any of them: counted first, so that a burst of guesses at once
    gets no more than the limit evaluated. A guess that turns out right is given back (give_back):
    only failures count."""
    now = _now()
    counted = [(limit, _key(limit, value, now)) for limit, value in keys if value]
    counters = store()
    # A limit already used up refuses with one read: an attacker's refused guesses cost no write.
    counts = counters.counts([key for _, key in counted])
    reached = [limit for limit, key in counted if counts.get(key, 0) >= limit.attempts]
    if not reached:
        reached = [limit for limit, key in counted if counters.add(key, limit.seconds) > limit.attempts]
        if reached:
            # Refused unseen, so no failure: counted, one browser's refused guesses would use up the
            # venue address's limit.
            for _limit, key in counted:
                counters.remove(key)
    if reached:
        logger.warning("Too many failed attempts: %s", ", ".join(limit.name for limit in reached))
        puzzle = new_puzzle() if all(limit.puzzle for limit in reached) else None
        raise RateLimited(max(_retry_after(limit, now) for limit in reached), puzzle)


def guess(keys, attempt, *, wrong):
    """attempt() as one guess against these limits: it stays counted when it raises `wrong`, and is
    given back otherwise (right, or refused for another reason)."""
    take(keys)
    try:
        result = attempt()
    except wrong:
        raise
    except BaseException:
        give_back(keys)
        raise
    give_back(keys)
    return result


def give_back(keys):
    """The attempt take() counted was no failure: a right code, or a request refused for another reason."""
    now, counters = _now(), store()
    for limit, value in keys:
        if value:
            counters.remove(_key(limit, value, now))


def new_puzzle():
    """A challenge: a random nonce, signed with the time. Its solution is a number whose SHA-256 of
    "<challenge>:<number>" starts with PUZZLE_BITS zero bits."""
    return _puzzle_signer().sign(secrets.token_urlsafe(12))


def puzzle_solved(challenge, proof):
    """Whether this is the solution of a challenge we handed out, unexpired and not used before: one
    hash to check, and one count in the store to use it up."""
    if not PROOF.fullmatch(proof):
        return False
    try:
        nonce = _puzzle_signer().unsign(challenge, max_age=PUZZLE.seconds)
    except signing.BadSignature:  # also an expired one
        return False
    digest = hashlib.sha256(f"{challenge}:{proof}".encode()).digest()
    if int.from_bytes(digest[:4], "big") >> (32 - PUZZLE_BITS):
        return False
    # Keyed by the nonce alone (window 0): kept from its first use until the challenge has expired.
    return store().add(_key(PUZZLE, nonce, 0), PUZZLE.seconds) == 1


def _puzzle_signer():
    return signing.TimestampSigner(salt="game.ratelimit.login-puzzle")


def _now():
    return time.time()


def _key(limit, value, now):
    # Hashed: the store never holds a guessed code, an address or a user name in clear.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
    return f"rl:{limit.name}:{digest}:{int(now // limit.seconds)}"


def _retry_after(limit, now):
    return max(1, math.ceil((int(now // limit.seconds) + 1) * limit.seconds - now))


def store():
    cache = caches["default"]
    return CacheStore(cache) if isinstance(cache, RedisCache) else DatabaseStore()


class CacheStore:
    """Redis through Django's cache API: add() then incr() are atomic there."""

    def __init__(self, cache):
        self.cache = cache

    def counts(self, keys):
        return self.cache.get_many(keys)

    def add(self, key, seconds):
        """The count after adding one."""
        self.cache.add(key, 0, timeout=seconds + 1)
        try:
            return self.cache.incr(key)
        except ValueError:
            # Expired between add() and incr(): the window is over anyway.
            self.cache.add(key, 1, timeout=seconds + 1)
            return 1

    def remove(self, key):
        with contextlib.suppress(ValueError):  # expired: the window is over
            self.cache.decr(key)

    def forget(self, key):
        self.cache.delete(key)

    def forget_all(self, prefixes):
        # Django's cache API cannot list keys: Redis's SCAN, on the keys as the cache names them, through
        # the backend's client (a private detail: tests/test_admin_login_lockout.py pins it).
        client = self.cache._cache.get_client(write=True)
        keys = [
            key for prefix in prefixes for key in client.scan_iter(match=self.cache.make_key(f"{prefix}*"))
        ]
        return client.delete(*keys) if keys else 0


class DatabaseStore:
    """A row per key and window, counted in a transaction: parallel guesses all count, one at a time."""

    def counts(self, keys):
        from game.models import RateLimitCounter

        return dict(RateLimitCounter.objects.filter(key__in=keys).values_list("key", "count"))

    def add(self, key, seconds):
        """The count after adding one."""
        from game.models import RateLimitCounter

        counters = RateLimitCounter.objects.filter(key=key)
        with transaction.atomic():
            # The UPDATE locks the row (SQLite: the database) until the count is read back.
            if counters.update(count=F("count") + 1):
                return counters.values_list("count", flat=True).get()
        now = _now()
        # A new window: a good time to forget the ones that are over.
        RateLimitCounter.objects.filter(expires_at__lt=datetime.fromtimestamp(now, UTC)).delete()
        try:
            with transaction.atomic():
                RateLimitCounter.objects.create(
                    key=key, count=1, expires_at=datetime.fromtimestamp(now + seconds, UTC)
                )
                return 1
        except IntegrityError:
            # Another request created it first.
            with transaction.atomic():
                counters.update(count=F("count") + 1)
                return counters.values_list("count", flat=True).get()

    def remove(self, key):
        from game.models import RateLimitCounter

        RateLimitCounter.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)

    def forget(self, key):
        from game.models import RateLimitCounter

        RateLimitCounter.objects.filter(key=key).delete()

    def forget_all(self, prefixes):
        from game.models import RateLimitCounter

        query = Q()
        for prefix in prefixes:
            query |= Q(key__startswith=prefix)
        return RateLimitCounter.objects.filter(query).delete()[0]
