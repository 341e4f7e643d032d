"""A whole game as one JSON document, and back: to reuse last year's missions and roster, or to move a
game to another server.

The document (`{"format": "killer-game", "version": 1, ...}`) holds the game's fields, then its
missions, players, kills and events with every field they have. Rows are numbered from 1 in each list,
in the order they were made, and refer to each other by those numbers (so do the ids inside event data,
which would otherwise name rows of the server they came from). Times are ISO 8601 with their offset.

`import_game` makes a new game of a document, in one transaction, after checking all of it: a file
it refuses changes nothing, and the refusal names the row and the field. "everything" makes the game
as it was (the move); "setup" makes a draft with the same options, missions and players, all alive,
with new codes (the next year). Either way the new game's only new event is its import.

An import is not one of game/rules.py's rules: it changes no existing game, it makes a new one whole.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from game import audit, codes, rules, validators
from game.errors import RuleError
from game.models import Event, Game, Kill, Mission, Player

FORMAT = "killer-game"
VERSION = 1
IMPORT_EVENT = "game_imported"
WHATS = ("everything", "setup")

# The keys of event data (game/rules.py's `_event` calls) whose values are ids, and the list they name.
DATA_REFERENCES = {
    "kill": "kills",
    "killer": "players",
    "victim": "players",
    "after": "players",
    "mission": "missions",
}


# --- Export ---------------------------------------------------------------------------------------


def export_game(game: Game) -> dict[str, Any]:
    """The whole game as plain JSON data."""
    rows = {
        "missions": list(game.missions.order_by("pk")),
        "players": list(game.players.order_by("pk")),
        "kills": list(game.kills.order_by("pk")),
        "events": list(game.events.order_by("pk")),
    }
    numbers = {kind: {obj.pk: n for n, obj in enumerate(objs, 1)} for kind, objs in rows.items()}

    def ref(kind, pk):
        return None if pk is None else numbers[kind][pk]

    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "game": {
            "name": game.name,
            "status": game.status,
            "confirmation_mode": game.confirmation_mode,
            "feed_names_killers": game.feed_names_killers,
            "killer_inherits_mission": game.killer_inherits_mission,
            "winner": ref("players", game.winner_id),
            "version": game.version,
            "created_at": _moment(game.created_at),
            "started_at": _moment(game.started_at),
            "finished_at": _moment(game.finished_at),
            "personal_data_erased_at": _moment(game.personal_data_erased_at),
        },
        "missions": [
            {"id": n, "text": m.text, "active": m.active, "created_at": _moment(m.created_at)}
            for n, m in enumerate(rows["missions"], 1)
        ],
        "players": [
            {
                "id": n,
                "name": p.name,
                "email": p.email,
                "group": p.group,
                "login_code": p.login_code,
                "death_code": p.death_code,
                "alive": p.alive,
                "dropped_out": p.dropped_out,
                "target": ref("players", p.target_id),
                "mission": ref("missions", p.mission_id),
                "kill_count": p.kill_count,
                "eliminated_at": _moment(p.eliminated_at),
                "version": p.version,
                "created_at": _moment(p.created_at),
            }
            for n, p in enumerate(rows["players"], 1)
        ],
        "kills": [
            {
                "id": n,
                "killer": ref("players", k.killer_id),
                "victim": ref("players", k.victim_id),
                "mission_text": k.mission_text,
                "method": k.method,
                "status": k.status,
                "reason": k.reason,
                "created_at": _moment(k.created_at),
                "resolved_at": _moment(k.resolved_at),
                "resolved_by": k.resolved_by,
                "victim_target_before": ref("players", k.victim_target_before_id),
                "victim_mission_before": ref("missions", k.victim_mission_before_id),
                "killer_mission_before": ref("missions", k.killer_mission_before_id),
            }
            for n, k in enumerate(rows["kills"], 1)
        ],
        "events": [
            {
                "id": n,
                "kind": e.kind,
                "actor": e.actor,
                "player": ref("players", e.player_id),
                # A row deleted since (a player, a mission) has no number: its id becomes null.
                "data": _renumber(e.data, lambda kind, pk: numbers[kind].get(pk)),
                "request_id": e.request_id,
                "created_at": _moment(e.created_at),
            }
            for n, e in enumerate(rows["events"], 1)
        ],
    }


def file_text(game: Game) -> str:
    """The export as the text of a file: UTF-8 JSON, indented for a person to read."""
    return json.dumps(export_game(game), ensure_ascii=False, indent=2)


def read_file(content: bytes) -> Any:
    """The JSON data of a file's bytes; RuleError (400) when they are not UTF-8 JSON."""
    try:
        return json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise _refused(_("This file is not JSON text: not a Killer game file.")) from None


def _moment(value):
    return None if value is None else value.isoformat()


def _renumber(data, new_id):
    """Event data with the ids of DATA_REFERENCES replaced by `new_id(list, id)`."""
    if not isinstance(data, dict):
        return data
    return {
        key: new_id(DATA_REFERENCES[key], value) if key in DATA_REFERENCES and _is_id(value) else value
        for key, value in data.items()
    }


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool)


# --- Reading a document ---------------------------------------------------------------------------


@dataclass
class Preview:
    """What an import will make."""

    name: str
    status: str
    missions: int
    players: int
    kills: int
    events: int
    # Players whose codes are taken on this server: they get new ones (always 0 for "setup", where
    # every player gets new codes anyway).
    new_codes: int

    @property
    def status_label(self):
        return Game.Status(self.status).label


def preview_import(data: Any, *, name: str | None = None, what: str = "everything") -> Preview:
    """Check the document as import_game would and say what it would make, without making it."""
    document = _read(data, name=name, what=what)
    everything = what == "everything"
    return Preview(
        name=document.name,
        status=document.game["status"] if everything else Game.Status.SETUP,
        missions=len(document.missions),
        players=len(document.players),
        kills=len(document.kills) if everything else 0,
        events=(len(document.events) if everything else 0) + 1,
        new_codes=len(_taken_codes(document.players)) if everything else 0,
    )


@dataclass
class _Document:
    """A document that passed every check, its values as Python values (datetimes, not strings)."""

    name: str
    game: dict[str, Any]
    missions: list[dict[str, Any]]
    players: list[dict[str, Any]]
    kills: list[dict[str, Any]]
    events: list[dict[str, Any]]


class _Row:
    """One object of the document, read field by field: a refusal names the object and the field."""

    def __init__(self, where, row):
        if not isinstance(row, dict):
            raise _refused(_("%(where)s is not a JSON object.") % {"where": where})
        self.where = where
        self.row = row

    def refused(self, field, problem):
        return _refused(
            _("%(where)s, %(field)s: %(problem)s") % {"where": self.where, "field": field, "problem": problem}
        )

    def value(self, field):
        if field not in self.row:
            raise self.refused(field, _("missing."))
        return self.row[field]

    def text(self, field, *checks):
        value = self.value(field)
        if not isinstance(value, str):
            raise self.refused(field, _("not a text."))
        for check in checks:
            try:
                check(value)
            except RuleError as error:
                raise self.refused(field, error.message) from None
        return value

    def flag(self, field):
        value = self.value(field)
        if not isinstance(value, bool):
            raise self.refused(field, _("not true or false."))
        return value

    def count(self, field, model):
        value = self.value(field)
        # What the column holds: PositiveIntegerField or PositiveBigIntegerField.
        big = model._meta.get_field(field).get_internal_type() == "PositiveBigIntegerField"
        top = 2**63 - 1 if big else 2**31 - 1
        if not _is_id(value) or not 0 <= value <= top:
            raise self.refused(field, _("not a whole number from 0 to %(top)d.") % {"top": top})
        return value

    def choice(self, field, choices):
        value = self.value(field)
        if value not in choices.values:
            raise self.refused(
                field,
                _("%(value)s is none of %(choices)s.")
                % {"value": _shown(value), "choices": ", ".join(choices.values)},
            )
        return value

    def moment(self, field, *, null=True):
        value = self.value(field)
        if value is None and null:
            return None
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise self.refused(
                field, _("%(value)s is not an ISO 8601 time with its time zone.") % {"value": _shown(value)}
            )
        return moment

    def ref(self, field, numbers, *, null=True):
        value = self.value(field)
        if value is None and null:
            return None
        if not _is_id(value) or value not in numbers:
            raise self.refused(
                field, _("%(value)s refers to nothing in the file.") % {"value": _shown(value)}
            )
        return value


def _refused(message):
    return RuleError(message, status=400)


def _shown(value):
    """A value of the file as a message quotes it: JSON, cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _length(model, field):
    return lambda value: validators.check_length(model, field, value)


def _code(model_field):
    def check(value):
        if not value or codes.normalize(value) != value:
            raise _refused(_("a code is made of capital letters and digits, without spaces."))
        validators.check_length(Player, model_field, value)

    return check


def _read(data, *, name, what):
    """The document, checked from top to bottom; RuleError (400) at the first thing wrong."""
    if what not in WHATS:
        raise _refused(_("Import everything or the setup only."))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _refused(_("This is not a Killer game file."))
    if data.get("version") != VERSION:
        raise _refused(
            _("This game file is version %(version)s; this server reads version %(ours)s.")
            % {"version": _shown(data.get("version")), "ours": VERSION}
        )
    lists = {}
    for key in ("missions", "players", "kills", "events"):
        if not isinstance(data.get(key), list):
            raise _refused(_("The file has no list of %(key)s.") % {"key": key})
        lists[key] = data[key]
    numbers = {key: _numbers(key, rows) for key, rows in lists.items()}
    player_ids, mission_ids = numbers["players"], numbers["missions"]

    row = _Row(_("The game"), data.get("game"))
    if row.moment("personal_data_erased_at"):
        # Its players' codes are gone for good: a copy must not bring them back to life elsewhere.
        raise _refused(_("This game's personal data was erased: it cannot be imported."))
    game = {
        "name": row.text("name", _game_name),
        "status": row.choice("status", Game.Status),
        "confirmation_mode": row.choice("confirmation_mode", Game.ConfirmationMode),
        "feed_names_killers": row.flag("feed_names_killers"),
        "killer_inherits_mission": row.flag("killer_inherits_mission"),
        "winner": row.ref("winner", player_ids),
        "version": row.count("version", Game),
        "created_at": row.moment("created_at", null=False),
        "started_at": row.moment("started_at"),
        "finished_at": row.moment("finished_at"),
    }
    if name is not None:
        _Row(_("The new name"), {"name": name}).text("name", _game_name)

    missions = []
    for item in lists["missions"]:
        row = _Row(_("Mission %(id)s") % {"id": item["id"]}, item)
        missions.append(
            {
                "id": item["id"],
                "text": row.text("text", validators.check_mission_text),
                "active": row.flag("active"),
                "created_at": row.moment("created_at", null=False),
            }
        )

    players = []
    for item in lists["players"]:
        row = _Row(_("Player %(id)s") % {"id": item["id"]}, item)
        players.append(
            {
                "id": item["id"],
                "name": row.text("name", lambda value: validators.check_player_fields(name=value)),
                "email": row.text("email", lambda value: validators.check_player_fields(email=value)),
                "group": row.text("group", lambda value: validators.check_player_fields(group=value)),
                "login_code": row.text("login_code", _code("login_code")),
                "death_code": row.text("death_code", _code("death_code")),
                "alive": row.flag("alive"),
                "dropped_out": row.flag("dropped_out"),
                "target": row.ref("target", player_ids),
                "mission": row.ref("mission", mission_ids),
                "kill_count": row.count("kill_count", Player),
                "eliminated_at": row.moment("eliminated_at"),
                "version": row.count("version", Player),
                "created_at": row.moment("created_at", null=False),
            }
        )

    kills = []
    for item in lists["kills"]:
        row = _Row(_("Kill %(id)s") % {"id": item["id"]}, item)
        kills.append(
            {
                "id": item["id"],
                "killer": row.ref("killer", player_ids, null=False),
                "victim": row.ref("victim", player_ids, null=False),
                "mission_text": row.text("mission_text", _length(Kill, "mission_text")),
                "method": row.choice("method", Kill.Method),
                "status": row.choice("status", Kill.Status),
                "reason": row.text("reason", _length(Kill, "reason"), validators.check_plain_text),
                "created_at": row.moment("created_at", null=False),
                "resolved_at": row.moment("resolved_at"),
                "resolved_by": row.text("resolved_by", _length(Kill, "resolved_by")),
                "victim_target_before": row.ref("victim_target_before", player_ids),
                "victim_mission_before": row.ref("victim_mission_before", mission_ids),
                "killer_mission_before": row.ref("killer_mission_before", mission_ids),
            }
        )

    events = []
    for item in lists["events"]:
        row = _Row(_("Event %(id)s") % {"id": item["id"]}, item)
        data_ = row.value("data")
        if not isinstance(data_, dict):
            raise row.refused("data", _("not a JSON object."))
        for key, value in data_.items():
            if key in DATA_REFERENCES and _is_id(value) and value not in numbers[DATA_REFERENCES[key]]:
                raise row.refused("data", _("%(key)s refers to nothing in the file.") % {"key": key})
        events.append(
            {
                "id": item["id"],
                "kind": row.text("kind", _length(Event, "kind")),
                "actor": row.text("actor", _length(Event, "actor")),
                "player": row.ref("player", player_ids),
                "data": data_,
                "request_id": row.text("request_id", _length(Event, "request_id")),
                "created_at": row.moment("created_at", null=False),
            }
        )

    _check_codes(players)
    _check_chain(game, players, kills)
    return _Document(
        name=game["name"] if name is None else name,
        game=game,
        missions=missions,
        players=players,
        kills=kills,
        events=events,
    )


def _game_name(value):
    if not value:
        raise _refused(_("A game needs a name."))
    validators.check_plain_text(value)
    validators.check_length(Game, "name", value)


def _numbers(key, rows):
    """The rows' own ids, which must be whole numbers, each used once in its list."""
    seen = set()
    for position, row in enumerate(rows, 1):
        number = row.get("id") if isinstance(row, dict) else None
        if not _is_id(number) or number in seen:
            raise _refused(
                _("Row %(position)d of the %(key)s has no id of its own (a whole number used once).")
                % {"position": position, "key": key}
            )
        seen.add(number)
    return seen


def _check_codes(players):
    for field in ("login_code", "death_code"):
        seen: dict[str, int] = {}
        for player in players:
            if player[field] in seen:
                raise _refused(
                    _("Players %(first)s and %(second)s have the same %(field)s.")
                    % {"first": seen[player[field]], "second": player["id"], "field": field}
                )
            seen[player[field]] = player["id"]


def _check_chain(game, players, kills):
    """What the database refuses, said first in words. Whether the alive players of a live game form
    one cycle is checked once the game is made, by rules.chain_problems, the one home of that check."""
    live = game["status"] in (Game.Status.RUNNING, Game.Status.PAUSED)
    hunters: dict[int, int] = {}
    for player in players:
        target = player["target"]
        if target is None:
            continue
        if not live:
            raise _refused(
                _("Player %(id)s has a target in a game that is not under way.") % {"id": player["id"]}
            )
        if not player["alive"]:
            raise _refused(_("Player %(id)s is out of the game but has a target.") % {"id": player["id"]})
        if target == player["id"]:
            raise _refused(_("Player %(id)s hunts themselves.") % {"id": player["id"]})
        if target in hunters:
            raise _refused(
                _("Players %(first)s and %(second)s both hunt player %(target)s.")
                % {"first": hunters[target], "second": player["id"], "target": target}
            )
        hunters[target] = player["id"]
    waiting = set()
    for kill in kills:
        if kill["status"] in Kill.OPEN_STATUSES:
            if kill["victim"] in waiting:
                raise _refused(
                    _("Two kills on player %(id)s are waiting for an answer.") % {"id": kill["victim"]}
                )
            waiting.add(kill["victim"])


# --- Import ---------------------------------------------------------------------------------------


def import_game(
    data: Any,
    *,
    name: str | None = None,
    what: str = "everything",
    actor: str = "import",
    source: str = "",
) -> Game:
    """A new game made of the document `data` (see the module's docstring); `source` names where it
    came from (a file name) in the import's event."""
    document = _read(data, name=name, what=what)
    with transaction.atomic():
        if what == "everything":
            game, new_codes = _make_everything(document)
            problems = rules.chain_problems(game)
            if problems:
                raise _refused(" ".join(problems))
        else:
            game, new_codes = _make_setup(document), 0
        Event.objects.create(
            game=game,
            kind=IMPORT_EVENT,
            actor=actor,
            data={"source": source or document.game["name"], "what": what, "new_codes": new_codes},
            request_id=audit.request_id.get(),
        )
    return game


def new_codes(game: Game) -> int:
    """How many players of an imported game got new codes because theirs were taken on this server."""
    return game.events.filter(kind=IMPORT_EVENT).latest("pk").data["new_codes"]


def _make_setup(document):
    game = Game.objects.create(
        name=document.name,
        confirmation_mode=document.game["confirmation_mode"],
        feed_names_killers=document.game["feed_names_killers"],
        killer_inherits_mission=document.game["killer_inherits_mission"],
    )
    Mission.objects.bulk_create(
        Mission(game=game, text=m["text"], active=m["active"]) for m in document.missions
    )
    # New codes: the defaults draw them.
    Player.objects.bulk_create(
        Player(game=game, name=p["name"], email=p["email"], group=p["group"]) for p in document.players
    )
    return game


def _make_everything(document):
    values = document.game
    game = Game.objects.create(
        name=document.name,
        status=values["status"],
        confirmation_mode=values["confirmation_mode"],
        feed_names_killers=values["feed_names_killers"],
        killer_inherits_mission=values["killer_inherits_mission"],
        version=values["version"],
        started_at=values["started_at"],
        finished_at=values["finished_at"],
    )
    missions = {m["id"]: Mission(game=game, text=m["text"], active=m["active"]) for m in document.missions}
    Mission.objects.bulk_create(missions.values())

    taken = _taken_codes(document.players)
    players = {}
    for p in document.players:
        player = Player(
            game=game,
            name=p["name"],
            email=p["email"],
            group=p["group"],
            alive=p["alive"],
            dropped_out=p["dropped_out"],
            mission=missions.get(p["mission"]),
            kill_count=p["kill_count"],
            eliminated_at=p["eliminated_at"],
            version=p["version"],
        )
        # Printed cards keep working, unless this server has a player with the same code already.
        if p["id"] not in taken:
            player.login_code, player.death_code = p["login_code"], p["death_code"]
        players[p["id"]] = player
    Player.objects.bulk_create(players.values())
    # Targets once every player has a row to point at.
    for p in document.players:
        players[p["id"]].target = players.get(p["target"])
    Player.objects.bulk_update(players.values(), ["target"])

    kills = {}
    for k in document.kills:
        kills[k["id"]] = Kill(
            game=game,
            killer=players[k["killer"]],
            victim=players[k["victim"]],
            victim_target_before=players.get(k["victim_target_before"]),
            victim_mission_before=missions.get(k["victim_mission_before"]),
            killer_mission_before=missions.get(k["killer_mission_before"]),
            **{
                key: k[key]
                for key in ("mission_text", "method", "status", "reason", "resolved_at", "resolved_by")
            },
        )
    Kill.objects.bulk_create(kills.values())

    new_ids: dict[str, dict[int, Any]] = {"players": players, "missions": missions, "kills": kills}
    events = [
        Event(
            game=game,
            kind=e["kind"],
            actor=e["actor"],
            player=players.get(e["player"]),
            data=_renumber(e["data"], lambda kind, number: new_ids[kind][number].pk),
            request_id=e["request_id"],
        )
        for e in document.events
    ]
    Event.objects.bulk_create(events)

    # auto_now_add gave every row the time of the import: put back when each was made.
    game.created_at = values["created_at"]
    game.winner = players.get(values["winner"])
    game.save(update_fields=["created_at", "winner"])
    _put_back_times(Mission, list(missions.values()), document.missions)
    _put_back_times(Player, list(players.values()), document.players)
    _put_back_times(Kill, list(kills.values()), document.kills)
    _put_back_times(Event, events, document.events)
    return game, len(taken)


def _put_back_times(model, objs, rows):
    for obj, row in zip(objs, rows, strict=True):
        obj.created_at = row["created_at"]
    model.objects.bulk_update(objs, ["created_at"], batch_size=500)


def _taken_codes(players):
    """The ids of the document's players whose login or death code a player of this server has."""
    taken: set[int] = set()
    # In slices: SQLite takes a limited number of parameters per query.
    for start in range(0, len(players), 1000):
        for field in ("login_code", "death_code"):
            ids = {p[field]: p["id"] for p in players[start : start + 1000]}
            found = Player.objects.filter(**{f"{field}__in": ids}).values_list(field, flat=True)
            taken.update(ids[code] for code in found)
    return taken
