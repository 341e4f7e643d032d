"""Player sessions: players have no Django account, only a secret login code."""

import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from game import codes, polls, ratelimit
from game.models import Player
from game.polls import GAME_SESSION_KEY, SESSION_KEY

CODE_CHARACTERS = set(codes.ALPHABET)
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


def log_in_with_code(request, raw_code, *, challenge="", proof=""):
    """Logs in the player whose code this is and returns them, or None.

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
    log_in(request, player)
    return player


def log_in(request, player):
    session = request.session
    session[SESSION_KEY] = player.pk  # loads the session the cookie names, if it exists
    session[GAME_SESSION_KEY] = player.game_id  # so that a poll can answer 304 without the player
    session[CODE_SESSION_KEY] = _code_hash(player)
    # A new session key at login: a key planted before login is worthless after it. A browser
    # without a session (or with a key that names none) gets a new key when the session is saved
    # at the response; cycling it too would write it twice.
    if session.session_key is not None:
        session.cycle_key()


def log_out(request):
    polls.forget_session(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    request.session.flush()


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
