"""Partial answers: the `fields` query parameter of Google's APIs.

`fields=sheets.properties,namedRanges` or `files(id,name),nextPageToken` keeps only the named parts of
an answer. Names are separated by `,`; `.` or `/` goes down a level; `a(b,c)` picks b and c under a.
Lists are gone through transparently: `sheets.properties` is the properties of every sheet.
"""

from .errors import ApiError


def parse(text):
    """A field mask as a tree: {"sheets": {"properties": None}}; None keeps the whole value."""
    tree, rest = _parse_list(text.replace(" ", ""))
    if rest:
        raise ApiError.bad_request(f"Invalid field selection {text}")
    return tree


def select(value, tree):
    if tree is None:
        return value
    if isinstance(value, list):
        return [select(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    return {name: select(value[name], subtree) for name, subtree in tree.items() if name in value}


def _parse_list(text):
    tree = {}
    while True:
        name, subtree, text = _parse_item(text)
        tree[name] = _merge(tree[name], subtree) if name in tree else subtree
        if text[:1] != ",":
            return tree, text
        text = text[1:]


def _parse_item(text):
    """One name and what is picked under it: `a`, `a.b.c`, `a(b,c)`."""
    name_end = 0
    while name_end < len(text) and text[name_end] not in ",()./":
        name_end += 1
    name, text = text[:name_end], text[name_end:]
    if not name:
        raise ApiError.bad_request("Invalid field selection: an empty field name")
    if text[:1] in (".", "/"):
        child, subtree, text = _parse_item(text[1:])
        return name, {child: subtree}, text
    if text[:1] == "(":
        subtree, text = _parse_list(text[1:])
        if text[:1] != ")":
            raise ApiError.bad_request("Invalid field selection: a parenthesis is not closed")
        return name, subtree, text[1:]
    return name, None, text


def _merge(old, new):
    if old is None or new is None:
        return None
    merged = dict(old)
    for name, subtree in new.items():
        merged[name] = _merge(merged[name], subtree) if name in merged else subtree
    return merged
