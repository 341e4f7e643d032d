"""The sheet's tabs, their columns, who owns each column, and each row as the database sees it.

Game masters own the `editable` columns: the sync reads their edits back into the database. The
database owns every other column: the sync overwrites those cells and never reads them as truth.
Rows are found by their `id` cell, never by their position, since game masters sort and insert rows.
"""

from dataclasses import dataclass

from django.utils import timezone

from game import codes
from game.models import Game, Kill, Player


@dataclass(frozen=True)
class Tab:
    title: str
    columns: tuple[str, ...]
    editable: tuple[str, ...] = ()


PLAYERS = Tab(
    "Players",
    (
        "id",
        "name",
        "email",
        "group",
        "code",
        "status",
        "target",
        "mission",
        "kills",
        "killed_by",
        "eliminated_at",
    ),
    editable=("name", "email", "group"),
)
MISSIONS = Tab("Missions", ("id", "text", "in_pool", "held_by"), editable=("text",))
KILLS = Tab(
    "Kills", ("id", "killer", "victim", "mission", "method", "status", "reported_at", "resolved_at", "reason")
)
TABS = (PLAYERS, MISSIONS, KILLS)


def cell_text(value) -> str:
    """A cell's value as text, whatever type the API gave it, so that 12, 12.0 and "12" compare equal."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def database_rows(game: Game, *, login_codes: bool = False) -> dict[str, dict[int, dict]]:
    """Every row the sheet should have, by tab title and id, each a {column: value} dict.

    The `code` column stays empty unless the game publishes login codes in its sheet
    (GameSheet.publish_login_codes): whoever the sheet is shared with could log in as anyone.
    """
    return {
        PLAYERS.title: player_rows(game, login_codes=login_codes),
        MISSIONS.title: mission_rows(game),
        KILLS.title: kill_rows(game),
    }


def player_rows(game, *, login_codes):
    killed_by = dict(
        Kill.objects.confirmed().filter(game=game).values_list("victim_id", "killer__name").order_by("pk")
    )
    rows = {}
    for player in Player.objects.filter(game=game).select_related("target", "mission").order_by("pk"):
        rows[player.pk] = {
            "id": player.pk,
            "name": player.name,
            "email": player.email,
            "group": player.group,
            "code": codes.display(player.login_code) if login_codes else "",
            "status": player_status(player),
            "target": player.target.name if player.target else "",
            "mission": player.mission.text if player.mission else "",
            "kills": player.kill_count,
            "killed_by": killed_by.get(player.pk, ""),
            "eliminated_at": local_time(player.eliminated_at),
        }
    return rows


def player_status(player):
    if player.alive:
        return "alive"
    return "dropped out" if player.dropped_out else "eliminated"


def mission_rows(game):
    held = {}
    for mission_id in game.players.alive().exclude(mission=None).values_list("mission_id", flat=True):
        held[mission_id] = held.get(mission_id, 0) + 1
    return {
        mission.pk: {
            "id": mission.pk,
            "text": mission.text,
            "in_pool": "yes" if mission.active else "no",
            "held_by": held.get(mission.pk, 0),
        }
        for mission in game.missions.order_by("pk")
    }


def kill_rows(game):
    kills = Kill.objects.filter(game=game).select_related("killer", "victim").order_by("pk")
    return {
        kill.pk: {
            "id": kill.pk,
            "killer": kill.killer.name,
            "victim": kill.victim.name,
            "mission": kill.mission_text,
            "method": kill.method,
            "status": kill.status,
            "reported_at": local_time(kill.created_at),
            "resolved_at": local_time(kill.resolved_at),
            "reason": kill.reason,
        }
        for kill in kills
    }


def local_time(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
