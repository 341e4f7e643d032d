"""One cell: what is stored for a typed value, and how it reads back.

A stored cell is a small JSON object, or None when empty:
  {"value": "text" | 12.5 | true}                        a plain value
  {"value": 43831, "formatted": "2020-01-01", "date": true} a date typed as USER_ENTERED
  {"formula": "=4/2", "value": 2}                        a formula and what it computes to

USER_ENTERED reads typed text as a person typing into the sheet would: numbers, TRUE/FALSE, dates,
formulas; a leading apostrophe keeps the rest as text. RAW stores text as typed. Formulas are computed
only when they are arithmetic on numbers (`=4/2`, `=(1+2)*3`); any other formula reads as #ERROR!.
"""

import ast
import datetime
import math
import operator
import re

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# Day 0 of Google's (and Lotus 1-2-3's) date serial numbers.
_EPOCH = datetime.date(1899, 12, 30)
_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def from_input(value, user_entered):
    """The stored cell for one value of a write request; None clears the cell."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return {"value": value}
    if not user_entered:
        return {"value": value}
    if value.startswith("'"):
        return {"value": value[1:]} if len(value) > 1 else None
    if value.startswith("="):
        return {"formula": value, "value": _compute(value[1:])}
    if value.upper() in ("TRUE", "FALSE"):
        return {"value": value.upper() == "TRUE"}
    if _NUMBER.match(value) and math.isfinite(float(value)):
        return {"value": _tidy(float(value))}
    date = _parse_date(value)
    if date:
        return {"value": (date - _EPOCH).days, "formatted": value, "date": True}
    return {"value": value}


def render(cell, value_render="FORMATTED_VALUE", date_render="SERIAL_NUMBER"):
    """What values.get answers for a stored cell."""
    if cell is None:
        return ""
    if value_render == "FORMULA" and "formula" in cell:
        return cell["formula"]
    if cell.get("date") and (value_render == "FORMATTED_VALUE" or date_render == "FORMATTED_STRING"):
        return cell["formatted"]
    value = cell["value"]
    if value_render != "FORMATTED_VALUE":
        return value
    return formatted(value)


def formatted(value):
    """A value as the sheet shows it with the automatic number format."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return format(_tidy(round(value, 10)), ".15g")
    return value


def _tidy(number):
    """2.0 -> 2, so that whole numbers read back as Google sends them."""
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _parse_date(text):
    match = _ISO_DATE.match(text)
    parts = match and (match.group(1), match.group(2), match.group(3))
    match = match or _US_DATE.match(text)
    if match and not parts:
        parts = (match.group(3), match.group(1), match.group(2))
    if not parts:
        return None
    try:
        return datetime.date(*(int(part) for part in parts))
    except ValueError:
        return None


def _compute(expression):
    try:
        return _tidy(_evaluate(ast.parse(expression.replace("^", "**"), mode="eval").body))
    except ZeroDivisionError:
        return "#DIV/0!"
    except (SyntaxError, ValueError, TypeError, OverflowError):
        return "#ERROR!"


def _evaluate(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        if isinstance(node.op, ast.Pow) and abs(_evaluate(node.right)) > 1000:
            raise OverflowError("a power too large to compute here")
        return _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    raise ValueError("not arithmetic")
