"""Player sessions: players have no Django account, only a secret login code."""

import secrets
from importlib import import_module

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import constant_time_compare, salted_hmac

from game import codes, ratelimit, state
from game.models import Player

SESSION_KEY = "player_id"
CODE_CHARACTERS = set(codes.ALPHABET)

# The player's game, so that a poll can answer 304 without loading the player.
GAME_SESSION_KEY = "game_id"
# A fingerprint of the login code the session was opened with: new codes from a game master (a lost
# card) end the sessions opened with the old one, as a new password does for Django's users.
CODE_SESSION_KEY = "code_hash"


def player_for_code(raw_code):
    """The player whose login code this is, or None."""
    code = codes.normalize(raw_code)
    # Only what a code can be made of reaches the database (PostgreSQL refuses a NUL, for one).
    if not code or len(code) > 32 or not set(code) <= CODE_CHARACTERS:
        return None
    player = Player.objects.select_related("game", "target", "mission").filter(login_code=code).first()
    # The lookup is by an indexed equality; the compare keeps the final check constant-time.
    if player is None or not secrets.compare_digest(player.login_code.encode(), code.encode()):
        return None
    return player


def log_in_with_code(request, raw_code):
    """Logs in the player whose code this is and returns them, or None.

    Raises ratelimit.RateLimited, without looking at the code, while this browser or address has
    used up its failed attempts.
    """
    keys = ratelimit.login_keys(request)
    ratelimit.check(keys)
    player = player_for_code(raw_code)
    if player is None:
        ratelimit.fail(keys)
        return None
    log_in(request, player)
    return player


def log_in(request, player):
    session = request.session
    session[SESSION_KEY] = player.pk  # loads the session the cookie names, if it exists
    session[GAME_SESSION_KEY] = player.game_id
    session[CODE_SESSION_KEY] = _code_hash(player)
    # A new session key at login: a key planted before login is worthless after it. A browser
    # without a session (or with a key that names none) gets a new key when the session is saved
    # at the response; cycling it too would write it twice.
    if session.session_key is not None:
        session.cycle_key()


def log_out(request):
    _poll_ids.pop(request.COOKIES.get(settings.SESSION_COOKIE_NAME), None)
    request.session.flush()


def current_ids(request):
    """(player id, game id) from the session, without a query; None when logged out."""
    player_id, game_id = request.session.get(SESSION_KEY), request.session.get(GAME_SESSION_KEY)
    if player_id is None or game_id is None:
        return None
    return player_id, game_id


# Session key -> (player id, game id), remembered by this process for the polls alone, so that a
# 304 reads no session (but the first in this process, from the cache or through Django). A 304 has
# no body: at worst a session ended elsewhere keeps hearing, for as long as its page stays the same,
# that the page it already has is current. Every answer with content reads the session itself.
_poll_ids = {}


def _remember(key, ids):
    state.forget_if_full(_poll_ids)
    _poll_ids[key] = ids


def remembered_ids(request):
    """(player id, game id) of the request's session if this process remembers it, or finds it in
    the cache where sessions live (SESSION_ENGINE cached_db or cache), else None.

    The requests of a phone reach every worker in turn: without the cache, each worker's first poll
    of each phone went through Django to read the session, five of them a player with five workers."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    ids = _poll_ids.get(key)
    if ids is None and key:
        ids = _cached_session_ids(key)
        if ids is not None:
            _remember(key, ids)
    return ids


def _cached_session_ids(key):
    """(player id, game id) from the session's copy in the cache, without the database: None when
    sessions are not kept in the cache, or this one is not there (expired, ended, or never was)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    # Only the engines that keep sessions in the cache have a cache_key. It would make up a new key
    # for an invalid one.
    if store.session_key is None or not hasattr(type(store), "cache_key"):
        return None
    data = caches[settings.SESSION_CACHE_ALIAS].get(store.cache_key)
    if not data or data.get(SESSION_KEY) is None or data.get(GAME_SESSION_KEY) is None:
        return None
    return data[SESSION_KEY], data[GAME_SESSION_KEY]


def poll_ids(request):
    """current_ids(), remembered: for deciding a 304 and nothing else."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    ids = _poll_ids.get(key)
    if ids is None:
        ids = current_ids(request)
        if ids is not None and key == request.session.session_key:
            _remember(key, ids)
    return ids


def current_player(request):
    """The logged-in player (with their game), or None: also when the session was opened with a login
    code the player no longer has, which ends it."""
    player_id = request.session.get(SESSION_KEY)
    if player_id is None:
        return None
    # get(), not first(): no ORDER BY to build on the busiest query.
    try:
        player = Player.objects.select_related("game", "target", "mission").get(pk=player_id)
    except Player.DoesNotExist:
        return None
    if not constant_time_compare(request.session.get(CODE_SESSION_KEY, ""), _code_hash(player)):
        log_out(request)
        return None
    return player


def _code_hash(player):
    return salted_hmac("game.players.login-code", player.login_code).hexdigest()
