"""The poll machinery: versions, ETags, the JSON every player of a game sees alike, and what each
process remembers to answer polls cheaply.

Phones poll `/api/me`, `/api/leaderboard` and `/api/feed` every ~5 s with If-None-Match, and almost
every poll finds its page unchanged: that answer, a 304, must cost next to nothing. An ETag is
`"<view>-<player id>-<version>-<language>"`. The game's version (`Game.version`) moves once per rule
that changes the game (game/rules.py); a player's version (`Player.version`) is the game's version
when that player's own page last changed, stamped by the same rule. `/api/me` carries the player's
version, the game-wide views the game's. A page never goes back in time: a poll that holds version N
gets N or newer, whichever process answers it.

Everything kept to answer polls, where, for how long, and what forgets it:

- a game's version: in `game_versions` (this process) for LOCAL_VERSION_SECONDS; in the cache
  (`game-version:<id>`) for VERSION_CACHE_SECONDS. `forget_game()` drops both after each rule commits.
- its players' versions: in `player_versions`, one map per game, current at a game version; when the
  game's version moves, one query for the players stamped since brings it up to date.
- a session's (player id, game id), for the early 304 (killer/early.py): in `sessions`, checked at
  the sessions' epoch by Django's poll path against the session store and the player's login code in
  the database (game/players.py `poll_ids()`), or against the session in the cache and the player's
  login fingerprint (below), and trusted while the epoch stays the same. The epoch, in the database
  (`SessionsEpoch`, which every process shares whatever the cache) and in `session_epochs` (this
  process) for LOCAL_VERSION_SECONDS, is a new random token whenever a session ends anywhere (logging
  out, new login codes, deleting the player: `end_sessions()`), so every process checks its sessions
  again within LOCAL_VERSION_SECONDS: until then an ended session may still hear that its page is
  unchanged (a 304, with no content), never more. Django's poll path answers from no memory of
  sessions: it reads the session and the login code each time.
- a player's login fingerprint, for the early 304: in the cache (`login:<player id>`) for
  VERSION_CACHE_SECONDS, set at login and whenever a session is checked against the database;
  `end_sessions(player_id)` drops it when a rule gives the player a new login code or deletes them.
- what every player of a game sees alike (leaderboard, feed): the newest JSON in `shared`, replaced by
  a newer version; each version's JSON in the cache (`<view>:<game>:<version>:<language>`), as are the
  game's public facts, its open kills and its recap's awards (`by_version()`), for VERSIONED_TIMEOUT:
  never stale.
- the headers of an early 304 (killer/early.py): in `early_headers`, per HTTPS and language, for the
  process's life: they follow from the settings alone.
- which view a polled path is (killer/early.py's `polled_view`): 64 paths in an lru_cache, for the
  process's life: they follow from the URLconf alone.

The `where` names are per-process memories (`Memory`): bounded, and all emptied by `forget_all()`.
A cache per process (locmem, the default) forgets a version only in the process that committed: the
others see the change up to VERSION_CACHE_SECONDS later, never miss it. Redis forgets everywhere.
"""

import json
import re
import secrets
import time
from importlib import import_module

from django.conf import settings
from django.core.cache import cache, caches
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare
from django.utils.http import parse_etags
from django.utils.translation import get_language

from game.models import Game, Player, SessionsEpoch

# What depends only on a game's version is cached under that version: it never goes stale.
VERSIONED_TIMEOUT = 300
SESSION_KEY = "player_id"
GAME_SESSION_KEY = "game_id"
# A fingerprint of the login code the session was opened with (game/players.py): new codes from a game
# master (a lost card) end the sessions opened with the old one, as a new password does for Django's users.
CODE_SESSION_KEY = "code_hash"

_memories = []


class Memory(dict):
    """A dict this process keeps to answer polls, bounded: once full it starts over, which costs one
    read per entry."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit
        _memories.append(self)

    def remember(self, key, value):
        if key not in self and len(self) >= self.limit:
            self.clear()
        self[key] = value


def forget_all():
    """Every per-process memory, as a new process has none (tests)."""
    for memory in _memories:
        memory.clear()


game_versions = Memory(limit=1000)  # game id -> (version, until when on time.monotonic())
player_versions = Memory(
    limit=100
)  # game id -> (the game's version the map is current at, {player id: version})
sessions = Memory(limit=100_000)  # session key -> (player id, game id, sessions' epoch)
session_epochs = Memory(limit=1)  # "epoch" -> (the sessions' epoch, until when on time.monotonic())
shared = Memory(limit=1000)  # (view, game id, language) -> (version, JSON)
early_headers = Memory(limit=100)  # (HTTPS, language) -> {header: value}, for killer/early.py


# --- ETags ------------------------------------------------------------------------------------------


def etag(view, player_id, version, language=None):
    return f'"{view}-{player_id}-{version}-{language or get_language()}"'


def me_etag(player):
    """Changes whenever what `player` sees on their own page changes."""
    return etag("me", player.pk, player.version)


def session_etag(view, player_id, game_id, language=None, *, database=True):
    """The ETag `player_id` would get now (in `language`, default the active one), mostly from this
    process's memory; None when the player or game is gone. Without `database`, None also when a
    version is neither in this process's memory nor in the cache."""
    if view == "me":
        version = _player_version(player_id, game_id, database)
    else:
        version = _game_version(game_id, database)
    return None if version is None else etag(view, player_id, version, language)


def client_has(request, tag):
    """Whether If-None-Match names `tag`, compared weakly as RFC 9110 wants for If-None-Match:
    nginx's gzip turns the ETag of a compressed answer into W/"...", which phones then send back.
    `*` names nothing: a 304 to it would tell anyone who asks when the page last changed."""
    held = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
    return tag.removeprefix("W/") in {tag.removeprefix("W/") for tag in held}


def held_version(request, view, player_id):
    """The newest version of `view` the client says it has (If-None-Match), or None."""
    pattern = re.compile(rf'(?:W/)?"{re.escape(view)}-{player_id}-(\d+)-[\w-]+"')
    found = [
        int(match[1])
        for tag in parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
        if (match := pattern.fullmatch(tag))
    ]
    return max(found, default=None)


def not_modified(tag):
    response = HttpResponse(status=304)
    del response["Content-Type"]
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    # Decided by the session cookie, even when the session itself was not read.
    patch_vary_headers(response, ["Cookie"])
    return response


# --- Versions ---------------------------------------------------------------------------------------


def game_version(game_id, *, at_least=None):
    """The game's version, mostly from this process's memory (at most LOCAL_VERSION_SECONDS old);
    None when the game is gone. With `at_least`, a version a client already holds: an older one
    known here is read again from the database, so that no answer goes back in time."""
    version = _game_version(game_id)
    if version is not None and at_least is not None and version < at_least:
        version = _version_from_database(game_id)
    return version


def forget_game(game_id):
    """After a rule commits: the game's version (the players' follow from it)."""
    game_versions.pop(game_id, None)  # this process sees the change at its next poll
    cache.delete(f"game-version:{game_id}")


def _game_version(game_id, database=True):
    version, until = game_versions.get(game_id, (None, 0))
    if time.monotonic() >= until:
        version = cache.get(f"game-version:{game_id}")
        if version is None:
            if not database:
                return None  # not known, rather than gone
            return _version_from_database(game_id)
        game_versions.remember(game_id, (version, time.monotonic() + settings.LOCAL_VERSION_SECONDS))
    return version


def _version_from_database(game_id):
    version = Game.objects.filter(pk=game_id).order_by().values_list("version", flat=True).first()
    if version is not None:
        cache.set(f"game-version:{game_id}", version, settings.VERSION_CACHE_SECONDS)
    game_versions.remember(game_id, (version, time.monotonic() + settings.LOCAL_VERSION_SECONDS))
    return version


def _player_version(player_id, game_id, database=True):
    game_version = _game_version(game_id, database)
    if game_version is None:
        return None
    current_at, versions = player_versions.get(game_id, (None, None))
    # A map brought up to date past the game's version this process holds answers as well.
    if versions is None or current_at < game_version:
        if not database:
            return None
        current_at, versions = _bring_up_to_date(game_id, game_version, current_at, versions)
    version = versions.get(player_id)
    if version is None and database:
        # A player added without a stamp (none of the rules does that) or out of the map.
        version = (
            Player.objects.filter(pk=player_id, game_id=game_id).values_list("version", flat=True).first()
        )
        if version is not None:
            versions[player_id] = version
    return version


def _bring_up_to_date(game_id, game_version, current_at, versions):
    """The game's map of player versions as of `game_version`: all of them the first time, then the
    players stamped since the map was last brought up to date.

    Under gevent on PostgreSQL, polls of one worker may bring the same map up to date at once, and
    finish in any order: versions only grow, so the newest of each wins, and so does the map's.

    A deleted player leaves no row to find by its version: when the game no longer has as many
    players as the map, the map starts over (deleting a player moves the game's version too)."""
    players = Player.objects.filter(game_id=game_id).order_by()
    if versions is not None and players.count() != len(versions):
        versions = None
    if versions is None:
        versions = {}
    else:
        players = players.filter(version__gt=current_at)
    for pk, version in players.values_list("pk", "version"):
        if version > versions.get(pk, -1):
            versions[pk] = version
    known_at, known = player_versions.get(game_id, (None, None))
    if known is versions:  # another poll may have brought it further meanwhile
        game_version = max(game_version, known_at)
    player_versions.remember(game_id, (game_version, versions))
    return game_version, versions


# --- What every player of a game sees alike -------------------------------------------------------


def by_version(what, game, build):
    """`build()`, cached under the game's version: what depends on nothing else never goes stale."""
    key = _versioned_key(what, game.pk, game.version)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, VERSIONED_TIMEOUT)
    return value


def shared_json(view, game_id, build, *, at_least=None):
    """(the game's version, the JSON of `build(game)` at that version, at least `at_least`): from this
    process's memory, else from the cache, else built once for the version and kept in the cache."""
    version = game_version(game_id, at_least=at_least)
    key = (view, game_id, get_language())
    known = shared.get(key)
    if known and version is not None and known[0] >= version:  # a newer one is as good
        return known
    body = cache.get(_versioned_key(view, game_id, version))
    if body is None:
        game = Game.objects.get(pk=game_id)  # at its version now, maybe newer than `version`
        version, body = game.version, json.dumps(build(game), cls=DjangoJSONEncoder)
        cache.set(_versioned_key(view, game_id, version), body, VERSIONED_TIMEOUT)
    # Gevent: another request may have kept a newer version meanwhile.
    if known is None or version >= known[0]:
        shared.remember(key, (version, body))
    return version, body


def _versioned_key(what, game_id, version):
    return f"{what}:{game_id}:{version}:{get_language()}"


# --- Sessions ---------------------------------------------------------------------------------------


def session_ids(request):
    """(player id, game id) from the session, without a query; None when logged out."""
    player_id, game_id = request.session.get(SESSION_KEY), request.session.get(GAME_SESSION_KEY)
    if player_id is None or game_id is None:
        return None
    return player_id, game_id


def early_ids(request):
    """(player id, game id) of the request's session for an answer given before Django's handler,
    or None when nothing can vouch for it at the current epoch: Django's poll path in this process
    (players.poll_ids()), or the session as the session engine keeps it in the cache (which every
    process shares: docs/configuration.md), opened with the login code the player has now as the cache
    knows it. The database only for the epoch, at most once per LOCAL_VERSION_SECONDS."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    epoch = _sessions_epoch()
    known = sessions.get(key)
    if known is not None and known[2] == epoch:
        return known[:2]
    cache_key = session_cache_key(key)
    data = caches[settings.SESSION_CACHE_ALIAS].get(cache_key) if cache_key else None
    if not data or data.get(SESSION_KEY) is None or data.get(GAME_SESSION_KEY) is None:
        return None
    fingerprint = cache.get(f"login:{data[SESSION_KEY]}")
    if fingerprint is None or not constant_time_compare(data.get(CODE_SESSION_KEY, ""), fingerprint):
        return None
    sessions.remember(key, (data[SESSION_KEY], data[GAME_SESSION_KEY], epoch))
    return data[SESSION_KEY], data[GAME_SESSION_KEY]


def remember_login(player_id, fingerprint):
    cache.set(f"login:{player_id}", fingerprint, settings.VERSION_CACHE_SECONDS)


def end_sessions(player_id=None):
    """After a session ended (and, with `player_id`, after a rule gave the player a new login code or
    deleted them): every process checks the sessions it remembers again."""
    if player_id is not None:
        cache.delete(f"login:{player_id}")
    epoch = secrets.token_hex(8)
    SessionsEpoch.objects.update_or_create(pk=1, defaults={"token": epoch})
    session_epochs.remember("epoch", (epoch, time.monotonic() + settings.LOCAL_VERSION_SECONDS))


def remember_session(request, ids, epoch):
    """After Django's poll path checked the session against the database: the early 304 of this
    process may vouch for it while the sessions' epoch stays `epoch` (read before the check)."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if epoch is not None and key and key == request.session.session_key:
        sessions.remember(key, (*ids, epoch))


def known_sessions_epoch():
    """The sessions' epoch if this process read it less than LOCAL_VERSION_SECONDS ago, else None:
    without a query, for Django's poll path (the early answer reads it again once a second)."""
    known = session_epochs.get("epoch")
    return known[0] if known is not None and known[1] > time.monotonic() else None


def _sessions_epoch():
    """The sessions' epoch, from this process's memory for LOCAL_VERSION_SECONDS, else from the
    database: a query per poll would cost more than the rest of an early 304 (docs/load-tests.md)."""
    epoch = known_sessions_epoch()
    if epoch is not None:
        return epoch
    epoch = SessionsEpoch.objects.filter(pk=1).values_list("token", flat=True).first()
    if epoch is None:  # the first: a new one, which no remembered session has
        epoch = SessionsEpoch.objects.get_or_create(pk=1, defaults={"token": secrets.token_hex(8)})[0].token
    session_epochs.remember("epoch", (epoch, time.monotonic() + settings.LOCAL_VERSION_SECONDS))
    return epoch


def session_cache_key(key):
    """Where the session engine keeps session `key` in the cache, or None: an engine that keeps no
    copy there, or a key it would not accept. Django's cached_db and cache engines name it `cache_key`
    (a private shape that tests/game/test_early_polls.py pins)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    # It would make up a new key for an invalid one.
    if store.session_key is None or not hasattr(type(store), "cache_key"):
        return None
    return store.cache_key
