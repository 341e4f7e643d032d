"""Text that players see: names, groups, missions, game names.

Control characters (NUL, line breaks, escape sequences) and the invisible marks that reverse the
direction of text (U+202E and its kin, which make "gro.evil" read "live.org") are refused where a text
comes in. Templates escape HTML, so angle brackets and quotes are harmless and stay allowed.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def bad_characters(text):
    """The characters of `text` that have no place in a one-line name or mission."""
    return [c for c in str(text) if unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS]


def validate_plain_text(value):
    if bad_characters(value):
        raise ValidationError(
            _("Control characters and text direction marks are not allowed."), code="control_characters"
        )
