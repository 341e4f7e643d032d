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


def source_msgids():
    """The literal strings the Python code marks for translation."""
    names = {"_", "gettext", "gettext_lazy", "pgettext", "ngettext"}
    found = set()
    for app in ("game", "killer", "sheets_sync"):
        for path in (settings.BASE_DIR / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) in names
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found.add(node.args[0].value)
    return found


def test_every_string_of_the_code_is_in_the_catalogue():
    # `manage.py makemessages -l fr` adds what is missing; translate it, then `compilemessages`.
    assert source_msgids() - set(po_msgids()) == set()
