"""What comes in: the text players see (names, groups, missions, game names) and the checks the rules
make of every input, wherever it comes from (pages, admin, API, the sheet).

Control characters (NUL, line breaks, escape sequences), the invisible marks that reverse the
direction of text (U+202E and its kin, which make "gro.evil" read "live.org") and the other invisible
characters (zero-width space, soft hyphen, tag characters, line and paragraph separators: with them two
players can look alike) are refused where a text comes in. The zero-width joiners stay: emoji
sequences and some scripts need them. Templates escape HTML, so angle brackets and quotes are harmless
and stay allowed.
"""

import re
import unicodedata

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext, gettext_lazy

from game.errors import RuleError

# Control, format (invisible: the direction marks among them), line and paragraph separator.
BAD_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
JOINERS = {"\u200c", "\u200d"}


def bad_characters(text):
    """The characters of `text` that have no place in a one-line name or mission."""
    return [c for c in str(text) if unicodedata.category(c) in BAD_CATEGORIES and c not in JOINERS]


def validate_plain_text(value):
    if bad_characters(value):
        raise ValidationError(
            gettext_lazy(
                "Control characters, invisible characters and text direction marks are not allowed."
            ),
            code="control_characters",
        )


def parse_id(text):
    """The row id a request names, or None: at most 18 ASCII digits, as a bigint column holds."""
    return int(text) if isinstance(text, str) and re.fullmatch(r"[0-9]{1,18}", text) else None


def check_plain_text(*texts):
    if any(bad_characters(text) for text in texts if text):
        raise RuleError(
            gettext("Control characters, invisible characters and text direction marks are not allowed."),
            status=400,
        )


def check_length(model, field, value):
    limit = model._meta.get_field(field).max_length
    if len(value) > limit:
        raise RuleError(
            gettext("The %(field)s is %(length)d characters long; at most %(limit)d fit.")
            % {"field": field, "length": len(value), "limit": limit},
            status=400,
        )


def check_player_fields(
    *, name: str | None = None, email: str | None = None, group: str | None = None
) -> None:
    """Refuse what the Player columns cannot hold (of the fields given). The admin's forms and the CSV
    import say it field by field first; this catches any other caller."""
    if name is not None and not name:
        raise RuleError(gettext("A player needs a name."), status=400)
    check_plain_text(name, group)
    for field, value in (("name", name), ("email", email), ("group", group)):
        if value is not None:
            check_length(apps.get_model("game", "Player"), field, value)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RuleError(
                gettext("%(email)s is not an email address.") % {"email": email}, status=400
            ) from None


def check_mission_text(text: str) -> None:
    """Refuse a mission text the Mission column cannot hold."""
    if not text:
        raise RuleError(gettext("A mission needs a text."), status=400)
    check_plain_text(text)
    limit = apps.get_model("game", "Mission")._meta.get_field("text").max_length
    if len(text) > limit:
        raise RuleError(
            gettext("The mission is %(length)d characters long; at most %(limit)d fit.")
            % {"length": len(text), "limit": limit},
            status=400,
        )
