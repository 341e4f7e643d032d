"""One sync of a game with its Google Sheet, in steps that the command runs in order and tests call alone.

    read_sheet      1 read, all cells in one values:batchGet (2 when the tabs' ids must be read first)
    plan_changes    what game masters changed in the sheet; writes nothing
    sheet_updates   the cells that differ from the database; writes nothing
    layout_requests tabs to add or grow before the cells fit (rare: the first run, a growing roster)
    apply_changes   the game masters' changes, through game.rules, in one short transaction
    write_sheet     1 write: the changed cells in one values:batchUpdate, RAW; no call when none changed

No call to Google happens inside a database transaction: the sheet is read, the database changed and
committed, and only then the sheet written. A run that stops anywhere leaves nothing half done that the
next run cannot finish: rows are matched by id, and a row without an id whose name and email match a
player who has no row (the run that created that player died before writing the id back) is taken as
that player's row instead of creating the player twice.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from gspread.utils import a1_to_rowcol, absolute_range_name, rowcol_to_a1

from game import rules, validators
from game.models import Game, Mission, Player
from sheets_sync.client import SheetsError
from sheets_sync.layout import KILLS, MISSIONS, PLAYERS, TABS, Tab, cell_text, database_rows

ACTOR = "sync"
# Rows and columns added beyond what is needed, so that a growing roster does not cost a layout
# write every run.
ROW_HEADROOM = 1000
MIN_COLUMNS = 26


@dataclass
class TabValues:
    """One tab as read: its grid size and cells, and where each of our columns is."""

    tab: Tab
    sheet_id: int | None  # None: the tab does not exist yet
    row_count: int
    column_count: int
    values: list[list]
    columns: dict[str, int]  # column name → 0-based index
    new_columns: list[str]  # missing from the header row: the sync writes them after the last one
    skipped: bool = False  # the header has no `id`, or the tab was renamed: the sync leaves it alone
    renamed_to: str | None = None  # the tab's new title, when a game master renamed it
    deleted: bool = False  # the last run knew this tab and it is gone: the sync adds it back

    @classmethod
    def parse(cls, tab, sheet_id, grid, values):
        """`grid` is the tab's (rows, columns); None, like `sheet_id`, when the tab does not exist."""
        header = [cell_text(cell).strip().lower() for cell in values[0]] if values else []
        columns = {}
        for index, name in enumerate(header):
            if name in tab.columns and name not in columns:
                columns[name] = index
        blank = not any(cell_text(cell).strip() for row in values for cell in row)
        if blank:
            # An empty tab gets the whole header; whatever blank cells it had are written over.
            columns = {name: index for index, name in enumerate(tab.columns)}
            new_columns = list(tab.columns)
        else:
            new_columns = [name for name in tab.columns if name not in columns]
            for offset, name in enumerate(new_columns):
                columns[name] = len(header) + offset
        return cls(
            tab=tab,
            sheet_id=sheet_id,
            row_count=grid[0] if grid else 0,
            column_count=grid[1] if grid else 0,
            values=[] if blank else values,
            columns=columns,
            new_columns=new_columns,
            skipped=not blank and "id" in new_columns,
        )

    def cell(self, row: int, name: str):
        """The raw value in sheet row `row` (1-based) of column `name`; None when empty."""
        index = self.columns[name]
        if row > len(self.values) or index >= len(self.values[row - 1]):
            return None
        return self.values[row - 1][index]

    def data_rows(self):
        """Sheet row numbers below the header, skipping the wholly blank ones."""
        for number, cells in enumerate(self.values[1:], start=2):
            if any(cell_text(cell).strip() for cell in cells):
                yield number


@dataclass
class Plan:
    """What a run will do to the database, and which sheet rows hold which ids."""

    synced: dict  # GameSheet.synced before this run
    rows: dict[str, dict[int, int]] = field(default_factory=lambda: {tab.title: {} for tab in TABS})
    joins: list[tuple[int, dict]] = field(default_factory=list)  # (sheet row, player fields)
    new_missions: list[tuple[int, str]] = field(default_factory=list)  # (sheet row, text)
    player_edits: dict[int, dict[str, str]] = field(default_factory=dict)
    mission_edits: dict[int, str] = field(default_factory=dict)
    keep: set[tuple[str, int, str]] = field(default_factory=set)  # (tab, row, column) left as typed
    warnings: list[str] = field(default_factory=list)

    def describe(self):
        """One line per database change, for --dry-run and verbosity 2."""
        lines = [f"add player {fields['name']!r} from Players row {row}" for row, fields in self.joins]
        lines += [f"change player #{pk}: {edits}" for pk, edits in self.player_edits.items()]
        lines += [f"add mission {text[:60]!r} from Missions row {row}" for row, text in self.new_missions]
        lines += [f"reword mission #{pk}: {text[:60]!r}" for pk, text in self.mission_edits.items()]
        return lines


@dataclass
class Updates:
    """The cells to write, by tab title and (row, column index), and what they amount to."""

    cells: dict[str, dict[tuple[int, int], object]]
    rows_created: int
    rows_updated: int
    synced: dict  # GameSheet.synced once these cells are written
    warnings: list[str]


# --- Reading --------------------------------------------------------------------------------------


def read_sheet(client, key: str, sheet_ids: dict[str, int]) -> dict[str, TabValues]:
    """Our tabs as they are now, in one read when their sheet ids are known, two when not.

    One values:batchGet reads every cell of the three tabs; the range it answers for a whole tab also
    gives the tab's grid size. The tabs' metadata is read first only when `sheet_ids` (from the last
    run) lacks a tab, or when the batchGet answers 400 because a tab was renamed or deleted since.
    Cells are read with valueRenderOption FORMULA: a formula a game master typed comes back as its
    text ("=A2&B2"), so it can be refused instead of its result being taken for a name. Dates, times
    and durations come back as the text the sheet shows (FORMATTED_STRING), not as serial numbers: a
    group typed 3/4/2026 is "3/4/2026", not 46085.
    """
    if all(tab.title in sheet_ids for tab in TABS):
        try:
            return _read_values(client, key, sheet_ids)
        except SheetsError as error:
            if error.status != 400:
                raise
    metadata = client.http_client.fetch_sheet_metadata(
        key, params={"includeGridData": "false", "fields": "sheets.properties(sheetId,title)"}
    )
    titles = {
        sheet["properties"]["title"]: sheet["properties"]["sheetId"] for sheet in metadata.get("sheets", [])
    }
    known = sheet_ids
    sheet_ids = {tab.title: titles[tab.title] for tab in TABS if tab.title in titles}
    renamed = {
        tab.title: title
        for tab in TABS
        if tab.title not in titles
        for title, sheet_id in titles.items()
        if sheet_id == known.get(tab.title)
    }
    missing = [tab for tab in TABS if tab.title not in sheet_ids and tab.title not in renamed]
    if missing:
        # A tab to add: that is all this run will write (see layout_requests), so the cells of the
        # others need not be read now. The next run reads them.
        sheet = {tab.title: TabValues.parse(tab, sheet_ids.get(tab.title), None, []) for tab in TABS}
        for tab in missing:
            sheet[tab.title].deleted = tab.title in known
    else:
        sheet = _read_values(client, key, sheet_ids)
    for title, new_title in renamed.items():
        # Left alone until a game master renames it back: a fresh copy beside it would split the
        # game masters' edits between two tabs.
        sheet[title].sheet_id, sheet[title].renamed_to, sheet[title].skipped = known[title], new_title, True
    return sheet


def _read_values(client, key, sheet_ids):
    present = [tab for tab in TABS if tab.title in sheet_ids]
    value_ranges = []
    if present:
        response = client.http_client.values_batch_get(
            key,
            [absolute_range_name(tab.title) for tab in present],
            params={
                "valueRenderOption": "FORMULA",
                "dateTimeRenderOption": "FORMATTED_STRING",
                "majorDimension": "ROWS",
            },
        )
        value_ranges = response["valueRanges"]
    sheet = {tab.title: TabValues.parse(tab, None, None, []) for tab in TABS}
    for tab, value_range in zip(present, value_ranges, strict=True):
        # "'Players'!A1:Z1000": the whole grid, since the whole tab was asked for.
        rows, columns = a1_to_rowcol(value_range["range"].rpartition("!")[2].partition(":")[2])
        sheet[tab.title] = TabValues.parse(
            tab, sheet_ids[tab.title], (rows, columns), value_range.get("values", [])
        )
    return sheet


def sheet_ids_of(sheet: dict[str, TabValues]) -> dict[str, int]:
    """What GameSheet.tabs keeps for the next run."""
    return {title: values.sheet_id for title, values in sheet.items() if values.sheet_id is not None}


# --- Planning -------------------------------------------------------------------------------------


def plan_changes(game: Game, sheet: dict[str, TabValues], synced: dict) -> Plan:
    """Match rows to ids and list the game masters' edits and new rows. Reads the database only."""
    plan = Plan(synced=synced)
    players = {p.pk: p for p in Player.objects.filter(game=game)}
    missions = {m.pk: m for m in Mission.objects.filter(game=game)}
    kill_ids = set(game.kills.values_list("pk", flat=True))
    for tab, known in ((PLAYERS, players), (MISSIONS, missions), (KILLS, kill_ids)):
        values = sheet[tab.title]
        if values.renamed_to is not None:
            plan.warnings.append(
                _(
                    "The tab '%(tab)s' was renamed '%(title)s': rename it back to '%(tab)s'; until then "
                    "the sync leaves it alone."
                )
                % {"tab": tab.title, "title": values.renamed_to}
            )
            continue
        if values.deleted:
            plan.warnings.append(
                _("The tab '%(tab)s' was deleted: the sync adds it back, with every row, on its next run.")
                % {"tab": tab.title}
            )
            continue
        if values.skipped:
            plan.warnings.append(
                _("%(tab)s: no 'id' column in row 1, so this tab was left alone.") % {"tab": tab.title}
            )
            continue
        if values.values:
            for name in values.new_columns:
                column = rowcol_to_a1(1, values.columns[name] + 1)[:-1]
                plan.warnings.append(
                    _(
                        "%(tab)s: no '%(name)s' column in row 1; the sync adds it as column %(column)s. "
                        "If you renamed it, rename it back to '%(name)s' and delete column %(column)s."
                    )
                    % {"tab": tab.title, "name": name, "column": column}
                )
        without_id = _match_rows(values, known, plan)
        if tab is PLAYERS:
            _plan_player_rows(values, players, without_id, plan)
        elif tab is MISSIONS:
            _plan_mission_rows(values, missions, without_id, plan)
        else:
            for row in without_id:
                plan.warnings.append(
                    _("Kills row %(row)s: no id; the sync fills this tab, so the row was left alone.")
                    % {"row": row}
                )
    if game.personal_data_erased_at is not None:
        # The sheet's names date from before the erasure: none comes back, and every cell the game has
        # a value for is written over with it (rows it has no id for keep what they hold).
        erased = _(
            "This game's personal data has been erased: the sheet is no longer read, only written over. "
            "Delete the spreadsheet (its version history keeps the names)."
        )
        return Plan(synced={}, rows=plan.rows, warnings=[erased])
    return plan


def _match_rows(values, known, plan):
    """Fill plan.rows for rows with a known id, warn about the others; return the rows without an id."""
    title = values.tab.title
    rows = plan.rows[title]
    without_id = []
    for row in values.data_rows():
        raw = cell_text(values.cell(row, "id")).strip()
        if not raw:
            without_id.append(row)
        elif not raw.isdigit():
            plan.warnings.append(
                _("%(tab)s row %(row)s: id '%(id)s' is not a number; row left alone.")
                % {"tab": title, "row": row, "id": raw[:20]}
            )
        elif int(raw) not in known:
            plan.warnings.append(
                _("%(tab)s row %(row)s: this game has no id %(id)s; row left alone.")
                % {"tab": title, "row": row, "id": raw}
            )
        elif int(raw) in rows:
            plan.warnings.append(
                _(
                    "%(tab)s row %(row)s: id %(id)s is already on row %(first)s; row left alone (clear "
                    "its id to add it as a new one)."
                )
                % {"tab": title, "row": row, "id": raw, "first": rows[int(raw)]}
            )
        else:
            rows[int(raw)] = row
    return without_id


def _left_alone(tab, row, error):
    return _("%(tab)s row %(row)s: %(error)s Row left alone.") % {
        "tab": tab.title,
        "row": row,
        "error": error.message,
    }


def _typed(values, row, name, plan):
    """What a game master typed in a cell of theirs, stripped; None (and a warning) for a formula."""
    raw = values.cell(row, name)
    if isinstance(raw, str) and raw.startswith("="):
        plan.warnings.append(
            _("%(tab)s row %(row)s: the %(name)s cell is a formula (%(formula)s); type plain text instead.")
            % {"tab": values.tab.title, "row": row, "name": name, "formula": raw[:40]}
        )
        return None
    return cell_text(raw).strip()


def _plan_player_rows(values, players, without_id, plan):
    rows = plan.rows[PLAYERS.title]
    # Players with no row, by name and email: a row without id that matches one is that player's row.
    orphans: dict[tuple[str, str], list[Player]] = {}
    for player in sorted(players.values(), key=lambda p: p.pk):
        if player.pk not in rows:
            orphans.setdefault((player.name, player.email.lower()), []).append(player)
    for row in without_id:
        typed = {name: _typed(values, row, name, plan) for name in PLAYERS.editable}
        if None in typed.values():
            continue
        if not typed["name"]:
            plan.warnings.append(_("Players row %(row)s: no id and no name; row left alone.") % {"row": row})
            continue
        matches = orphans.get((typed["name"], typed["email"].lower()))
        if matches:
            rows[matches.pop(0).pk] = row
            continue
        try:
            validators.check_player_fields(**typed)
        except rules.RuleError as error:
            plan.warnings.append(_left_alone(PLAYERS, row, error))
            continue
        plan.joins.append((row, typed))

    for pk, row in rows.items():
        edits = _edits(values, row, PLAYERS, players[pk], plan)
        for name, value in list(edits.items()):
            try:
                validators.check_player_fields(**{name: value})
            except rules.RuleError as error:
                plan.warnings.append(
                    _("Players row %(row)s: %(error)s Column %(name)s left unchanged.")
                    % {"row": row, "error": error.message, "name": name}
                )
                plan.keep.add((PLAYERS.title, row, name))
                del edits[name]
        if edits:
            plan.player_edits[pk] = edits


def _plan_mission_rows(values, missions, without_id, plan):
    rows = plan.rows[MISSIONS.title]
    orphans: dict[str, list[Mission]] = {}
    for mission in sorted(missions.values(), key=lambda m: m.pk):
        if mission.pk not in rows:
            orphans.setdefault(mission.text, []).append(mission)
    for row in without_id:
        text = _typed(values, row, "text", plan)
        if text is None:
            continue
        if not text:
            plan.warnings.append(_("Missions row %(row)s: no id and no text; row left alone.") % {"row": row})
            continue
        if orphans.get(text):
            rows[orphans[text].pop(0).pk] = row
            continue
        try:
            validators.check_mission_text(text)
        except rules.RuleError as error:
            plan.warnings.append(_left_alone(MISSIONS, row, error))
            continue
        plan.new_missions.append((row, text))

    for pk, row in rows.items():
        text = _edits(values, row, MISSIONS, missions[pk], plan).get("text")
        if text is None:
            continue
        try:
            validators.check_mission_text(text)
        except rules.RuleError as error:
            plan.warnings.append(
                _("Missions row %(row)s: %(error)s The text was left unchanged.")
                % {"row": row, "error": error.message}
            )
            plan.keep.add((MISSIONS.title, row, "text"))
            continue
        plan.mission_edits[pk] = text


def _edits(values, row, tab, obj, plan):
    """The game master's edits on one row: cells that differ from both the database and the last sync.

    A cell that still holds what the last sync saw was not edited: if the database differs, the
    database changed since, and the sheet will be brought up to date instead.
    """
    before = plan.synced.get(tab.title, {}).get(str(obj.pk), {})
    edits = {}
    for name in tab.editable:
        if name in values.new_columns:
            continue  # the sync adds this column in this run: it holds nothing typed yet
        current = getattr(obj, name)
        typed = cell_text(values.cell(row, name)).strip()
        if typed == current or (name in before and typed == before[name]):
            continue
        typed = _typed(values, row, name, plan)
        if typed is None:
            plan.keep.add((tab.title, row, name))
            continue
        edits[name] = typed
    return edits


# --- Applying -------------------------------------------------------------------------------------


def apply_changes(game: Game, plan: Plan) -> int:
    """Make the planned changes through the rules, in one transaction; return how many were made.

    A change the rules refuse becomes a warning and leaves its cells as typed; the others go on.
    Rows of new players and missions get their ids in plan.rows, for the write to fill in.
    """
    made = 0
    with transaction.atomic():
        for row, fields in plan.joins:
            try:
                player = rules.player_join(game=game, actor=ACTOR, **fields)
            except rules.RuleError as error:
                plan.warnings.append(_left_alone(PLAYERS, row, error))
                continue
            plan.rows[PLAYERS.title][player.pk] = row
            made += 1
        for pk, edits in plan.player_edits.items():
            try:
                rules.player_update(player=Player.objects.get(pk=pk), actor=ACTOR, **edits)
            except rules.RuleError as error:
                row = plan.rows[PLAYERS.title][pk]
                plan.warnings.append(
                    _("Players row %(row)s: %(error)s Left unchanged.") % {"row": row, "error": error.message}
                )
                plan.keep.update((PLAYERS.title, row, name) for name in edits)
                continue
            made += 1
        for row, text in plan.new_missions:
            mission = rules.mission_add(game=game, text=text, actor=ACTOR)
            plan.rows[MISSIONS.title][mission.pk] = row
            made += 1
        for pk, text in plan.mission_edits.items():
            rules.mission_update(mission=Mission.objects.get(pk=pk), text=text, actor=ACTOR)
            made += 1
    return made


# --- Writing --------------------------------------------------------------------------------------


def sheet_updates(
    game: Game, sheet: dict[str, TabValues], plan: Plan, *, login_codes: bool = False
) -> Updates:
    """Every cell whose value differs from the database's, and the rows to add for ids with no row.

    Cells a game master typed and the sync refused (plan.keep) stay as they are, so they can fix them.
    A row deleted in the sheet deletes nothing: it is added back at the end, with a warning.
    """
    wanted = database_rows(game, login_codes=login_codes)
    cells, synced, warnings = {}, {}, []
    created = updated = 0
    for tab in TABS:
        values = sheet[tab.title]
        if values.skipped:
            synced[tab.title] = plan.synced.get(tab.title, {})
            continue
        before = plan.synced.get(tab.title, {})
        changed: dict[tuple[int, int], object] = {
            (1, values.columns[name]): name for name in values.new_columns
        }
        rows = plan.rows[tab.title]
        next_row = max(len(values.values), 1) + 1
        for pk, columns in wanted[tab.title].items():
            row = rows.get(pk)
            if row is None:
                row, next_row = next_row, next_row + 1
                created += 1
                if str(pk) in before and values.values:  # not a tab being filled anew
                    warnings.append(
                        _(
                            "%(tab)s: the row of id %(id)s was deleted in the sheet; added back at row "
                            "%(row)s."
                        )
                        % {"tab": tab.title, "id": pk, "row": row}
                    )
            differs = False
            for name, value in columns.items():
                if (tab.title, row, name) in plan.keep:
                    continue
                if cell_text(values.cell(row, name)) != cell_text(value):
                    changed[(row, values.columns[name])] = value
                    differs = True
            if differs and pk in rows:
                updated += 1
        cells[tab.title] = changed
        synced[tab.title] = {
            str(pk): {name: columns[name] for name in tab.editable}
            for pk, columns in wanted[tab.title].items()
        }
    return Updates(cells=cells, rows_created=created, rows_updated=updated, synced=synced, warnings=warnings)


def layout_requests(sheet: dict[str, TabValues], updates: Updates) -> list[dict]:
    """spreadsheets:batchUpdate requests adding the missing tabs, or else growing grids too small.

    Values written to a range that starts past a tab's last row are refused (400), so a grid must
    grow before rows are added below it. New tabs are sized for the roster and more.
    """
    needed = {}
    for tab in TABS:
        cells = updates.cells.get(tab.title, {})
        rows = max([row for row, _ in cells] + [len(sheet[tab.title].values), 1])
        columns = max([column + 1 for _, column in cells] + [len(tab.columns)])
        needed[tab.title] = (rows, columns)
    missing = [tab for tab in TABS if sheet[tab.title].sheet_id is None]
    if missing:
        return [_add_sheet(tab.title, *needed[tab.title]) for tab in missing]
    requests = []
    for tab in TABS:
        values, (rows, columns) = sheet[tab.title], needed[tab.title]
        if values.skipped:
            continue
        if rows > values.row_count:
            requests.append(
                _append_dimension(values.sheet_id, "ROWS", rows - values.row_count + ROW_HEADROOM)
            )
        if columns > values.column_count:
            requests.append(_append_dimension(values.sheet_id, "COLUMNS", columns - values.column_count))
    return requests


def _add_sheet(title, rows, columns):
    grid = {"rowCount": rows + ROW_HEADROOM, "columnCount": max(columns, MIN_COLUMNS)}
    return {"addSheet": {"properties": {"title": title, "gridProperties": grid}}}


def _append_dimension(sheet_id, dimension, length):
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}


def write_layout(client, key: str, requests: list[dict]) -> None:
    client.http_client.batch_update(key, {"requests": requests})


def write_sheet(client, key: str, updates: Updates) -> bool:
    """Write the changed cells in one values:batchUpdate; False, and no call, when there are none.

    RAW: Google stores what is sent as is, so a name like "=HYPERLINK(...)" stays text, never a formula.
    """
    data = value_ranges(updates)
    if not data:
        return False
    client.http_client.values_batch_update(key, {"valueInputOption": "RAW", "data": data})
    return True


def value_ranges(updates: Updates) -> list[dict]:
    """The changed cells as ValueRanges: one per run of adjacent changed cells in a row."""
    data = []
    for title, cells in updates.cells.items():
        runs: list[tuple[int, int, list]] = []  # (row, first column index, values)
        for row, column in sorted(cells):
            if runs and runs[-1][0] == row and runs[-1][1] + len(runs[-1][2]) == column:
                runs[-1][2].append(cells[(row, column)])
            else:
                runs.append((row, column, [cells[(row, column)]]))
        for row, first, row_values in runs:
            a1 = f"{rowcol_to_a1(row, first + 1)}:{rowcol_to_a1(row, first + len(row_values))}"
            data.append(
                {"range": absolute_range_name(title, a1), "majorDimension": "ROWS", "values": [row_values]}
            )
    return data
