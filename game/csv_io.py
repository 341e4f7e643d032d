"""Players in and out of CSV files, as spreadsheets save them.

Import reads a whole file and checks every row before anything is written: the admin imports a file
only when it has no error at all. Exports neutralise cells that a spreadsheet would run as formulas.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from game import validators
from game.models import Game, namesake_key

MAX_ROWS = 5000
MAX_CHARS = 1_000_000

# Column titles a game master might type, in English or French.
COLUMNS = {
    "name": "name",
    "nom": "name",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "courriel": "email",
    "group": "group",
    "groupe": "group",
    "classe": "group",
}


@dataclass
class Row:
    line: int
    name: str
    email: str
    group: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Import:
    rows: list[Row]
    errors: list[str]

    @property
    def ok(self):
        return not self.errors and not any(row.errors for row in self.rows)

    @property
    def namesakes(self):
        return any(row.warnings for row in self.rows)


def decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel adds), else Windows-1252, which French Excel saves."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_players(text: str, *, game: Game) -> Import:
    """Rows of name, email, group under a header line; every problem found, by line number."""
    if len(text) > MAX_CHARS:
        return Import([], [_("The file is larger than 1 MB.")])
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return Import([], [_("The file is empty.")])
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0]))
    # The first line with something in it names the columns: blank lines above it are skipped.
    titles = next(cells for cells in reader if any(cell.strip() for cell in cells))
    header = [COLUMNS.get(title.strip().lower(), title.strip()) for title in titles]
    if "name" not in header:
        return Import(
            [],
            [
                _(
                    "The first line must name the columns: name, email, group (or nom, courriel, groupe). "
                    "It holds: %(found)s."
                )
                % {"found": ", ".join(title.strip() for title in titles)[:200]}
            ],
        )
    unknown = [title for title in header if title not in ("name", "email", "group")]
    if unknown:
        return Import([], [_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)}])

    rows = []
    emails = {e.lower() for e in game.players.exclude(email="").values_list("email", flat=True)}
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        row = _row(reader.line_num, header, cells)
        if row.email:
            if row.email.lower() in emails:
                row.errors.append(_("This email address is used twice."))
            emails.add(row.email.lower())
        rows.append(row)
    if not rows:
        return Import([], [_("The file has no players.")])
    if len(rows) > MAX_ROWS:
        return Import([], [_("At most %(count)d players per file.") % {"count": MAX_ROWS}])
    _warn_of_namesakes(rows, game)
    return Import(rows, [])


def _delimiter(header):
    """Commas, semicolons (French Excel) or tabs, as the header line shows. Only the delimiter is
    guessed: quotes are a spreadsheet's, doubled inside a quoted cell ("Jean ""JJ"" Dupont"), which
    csv.Sniffer cannot tell from a header line."""
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _warn_of_namesakes(rows, game):
    """Real people share names, so namesakes are imported, but a game master is told: their hunters
    could not tell them apart."""
    in_game = {namesake_key(name, group) for name, group in game.players.values_list("name", "group")}
    first_line = {}
    for row in rows:
        key = namesake_key(row.name, row.group)
        if key in in_game:
            row.warnings.append(_("Same name and group as a player already in the game."))
        elif key in first_line:
            row.warnings.append(_("Same name and group as line %(line)d.") % {"line": first_line[key]})
        first_line.setdefault(key, row.line)


def _row(line, header, cells):
    if len(cells) != len(header):
        row = Row(line, "", "", "")
        row.errors.append(
            _("Expected %(expected)d columns, found %(found)d.")
            % {"expected": len(header), "found": len(cells)}
        )
        return row
    values = {title: cell.strip() for title, cell in zip(header, cells, strict=True)}
    row = Row(line, values["name"], values.get("email", ""), values.get("group", ""))
    if not row.name:
        row.errors.append(_("The name is missing."))
    elif len(row.name) > 100:
        row.errors.append(_("The name is longer than 100 characters."))
    if len(row.group) > 100:
        row.errors.append(_("The group is longer than 100 characters."))
    if validators.bad_characters(row.name + row.group):
        row.errors.append(
            _("Control characters, invisible characters and text direction marks are not allowed.")
        )
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(_("“%(email)s” is not an email address.") % {"email": row.email})
    return row


def safe_cell(value):
    """A spreadsheet runs a cell starting with =, +, - or @ as a formula: make it plain text."""
    text = "" if value is None else str(value)
    if text.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + text
    return text


def _date(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def write_players(out, players, *, login_link):
    writer = csv.writer(out)
    writer.writerow(
        ["name", "email", "group", "alive", "dropped_out", "kills", "eliminated_at", "login_link"]
    )
    for p in players:
        writer.writerow(
            safe_cell(value)
            for value in [
                p.name,
                p.email,
                p.group,
                int(p.alive),
                int(p.dropped_out),
                p.kill_count,
                _date(p.eliminated_at),
                login_link(p),
            ]
        )


def write_kills(out, kills):
    writer = csv.writer(out)
    writer.writerow(
        [
            "reported_at",
            "killer",
            "victim",
            "mission",
            "method",
            "status",
            "reason",
            "resolved_at",
            "resolved_by",
        ]
    )
    for k in kills:
        writer.writerow(
            safe_cell(value)
            for value in [
                _date(k.created_at),
                k.killer.name,
                k.victim.name,
                k.mission_text,
                k.method,
                k.status,
                k.reason,
                _date(k.resolved_at),
                k.resolved_by,
            ]
        )
