"""Player sessions: players have no Django account, only a secret login code."""

import secrets

from django.middleware.csrf import rotate_token
from django.utils.crypto import constant_time_compare, salted_hmac

from game import codes, polls, ratelimit
from game.models import Player
from game.polls import CODE_SESSION_KEY, GAME_SESSION_KEY, SESSION_KEY

CODE_CHARACTERS = set(codes.ALPHABET)


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


def log_in_with_code(request, raw_code, *, instead_of=None, challenge="", proof=""):
    """Logs in the player whose code this is and returns them, or None. A browser logged in as
    `instead_of`, another player, stays so: the player is returned, not logged in (the caller asks).

    Raises ratelimit.RateLimited, without looking at the code, while this browser or address has
    used up its failed attempts. When the address's limit alone refused, the exception carries a
    puzzle: the same guess with its `challenge` and `proof` (ratelimit.puzzle_solved) gets past it.
    """
    keys = ratelimit.login_keys(request, challenge, proof)
    ratelimit.take(keys)
    player = player_for_code(raw_code)
    if player is None:
        return None
    ratelimit.give_back(keys)
    if instead_of is None or instead_of.pk == player.pk:
        log_in(request, player)
    return player


def log_in(request, player):
    session = request.session
    session[SESSION_KEY] = player.pk  # loads the session the cookie names, if it exists
    session[GAME_SESSION_KEY] = player.game_id  # so that a poll can answer 304 without the player
    session[CODE_SESSION_KEY] = fingerprint = _code_hash(player.login_code)
    polls.remember_login(player.pk, fingerprint)
    # A CSRF token known before login (to whoever planted the cookie) is worthless after it.
    rotate_token(request)
    # A new session key at login: a key planted before login is worthless after it. A browser
    # without a session (or with a key that names none) gets a new key when the session is saved
    # at the response; cycling it too would write it twice.
    if session.session_key is not None:
        session.cycle_key()


def log_out(request):
    request.session.flush()
    polls.end_sessions()  # after the flush: a process that checks the session again finds it gone
    rotate_token(request)


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
    if not constant_time_compare(request.session.get(CODE_SESSION_KEY, ""), _code_hash(player.login_code)):
        log_out(request)
        return None
    return player


def poll_ids(request):
    """(player id, game id) of the session's player, or None: the session read from the session store
    every process shares and the player's login code from the database, so that a session ended
    anywhere (logged out, new codes, the player deleted) gets no answer from any process. One query,
    for the code alone: the versions come from game/polls.py."""
    epoch = polls.known_sessions_epoch()  # before the checks: a session ended after moves it
    ids = polls.session_ids(request)
    if ids is None:
        return None
    player_id, game_id = ids
    found = Player.objects.filter(pk=player_id, game_id=game_id).order_by()
    login_code = found.values_list("login_code", flat=True).first()
    if login_code is None:
        return None
    fingerprint = _code_hash(login_code)
    if not constant_time_compare(request.session.get(CODE_SESSION_KEY, ""), fingerprint):
        log_out(request)
        return None
    # For the early 304 of the next polls: in every process through a shared cache, in this one alone
    # with a cache per process or sessions only in the database.
    polls.remember_login(player_id, fingerprint)
    polls.remember_session(request, ids, epoch)
    return ids


def _code_hash(login_code):
    return salted_hmac("game.players.login-code", login_code).hexdigest()
