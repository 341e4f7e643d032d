"""The French catalogue is complete and its compiled .mo matches the .po committed beside it."""

import ast
import gettext
import re

from django.conf import settings

LC_MESSAGES = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES"


def po_msgids():
    po = (LC_MESSAGES / "django.po").read_text()
    entries = [entry for entry in po.split("\n\n") if "msgid" in entry and not entry.startswith("#~")]
    ids = []
    for entry in entries[1:]:  # the first entry is the header
        assert "#, fuzzy" not in entry, entry
        chunks = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M).group(1)
        ids.append("".join(ast.literal_eval(chunk) for chunk in chunks.split("\n") if chunk))
    return ids


def test_every_string_is_translated_and_compiled():
    with (LC_MESSAGES / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    compiled = {key[0] if isinstance(key, tuple) else key for key in catalog}
    missing = [msgid for msgid in po_msgids() if msgid not in compiled]
    assert missing == []
