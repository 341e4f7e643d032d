"""Secret codes handed to players: a login code to open their page, a death code to give their killer.

The alphabet leaves out look-alikes (0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V) so that a code read off a card or
a phone is typed right. What a guess is worth against the rate limit is worked out in docs/security.md.
"""

import re
import secrets

ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
LOGIN_CODE_LENGTH = 12
DEATH_CODE_LENGTH = 8


def _new_code(length):
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_login_code():
    return _new_code(LOGIN_CODE_LENGTH)


def new_death_code():
    return _new_code(DEATH_CODE_LENGTH)


def normalize(raw):
    """What a player typed, as stored: upper case, without spaces or dashes."""
    return re.sub(r"[\s-]+", "", str(raw)).upper()


def display(code):
    """A code in groups of four, easier to read aloud: ACDE-FGHJ-KM."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
