"""What players may see, as plain data: the JSON API returns it and the pages render it.

A player sees their own target, mission, codes and kills, and public facts about the others
(names, kill counts, who is out). Nothing here may ever reveal another living player's target.
"""

from django.utils.translation import get_language

from game import codes
from game.models import Game, Kill, Player

FEED_LENGTH = 50


def etag(player, view):
    """Changes whenever anything in the player's game changes (every rule bumps Game.version)."""
    return f'"{view}-{player.pk}-{player.game.version}-{get_language()}"'


def me(player):
    game = player.game
    live = player.alive and game.is_live
    against_me = Kill.objects.open().filter(victim=player).select_related("killer").first() if live else None
    mine = Kill.objects.open().filter(killer=player).select_related("victim").first() if live else None
    return {
        "player": {
            "id": player.pk,
            "name": player.name,
            "group": player.group,
            "alive": player.alive,
            "dropped_out": player.dropped_out,
            "kills": player.kill_count,
            "eliminated_at": player.eliminated_at,
            "death_code": codes.display(player.death_code),
        },
        "game": _game(game),
        "target": {"name": player.target.name, "group": player.target.group}
        if live and player.target_id
        else None,
        "mission": player.mission.text if live and player.mission_id else None,
        "kill_against_me": _kill(against_me, "killer") if against_me else None,
        "my_kill": _kill(mine, "victim") if mine else None,
    }


def leaderboard(game):
    players = game.players.exclude(dropped_out=True, eliminated_at__isnull=True).ranked()
    rows = [
        {
            "name": p.name,
            "group": p.group,
            "alive": p.alive,
            "kills": p.kill_count,
            "winner": p.pk == game.winner_id,
        }
        for p in players
    ]
    # The last survivor wins; kills rank the rest.
    rows.sort(key=lambda row: not row["winner"])
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return {"game": _game(game), "players": rows}


def feed(game):
    kills = game.kills.confirmed().select_related("killer", "victim").order_by("-resolved_at", "-pk")
    return {
        "game": _game(game),
        "kills": [
            {
                "at": kill.resolved_at,
                "victim": kill.victim.name,
                "killer": kill.killer.name if game.feed_names_killers else None,
            }
            for kill in kills[:FEED_LENGTH]
        ],
    }


def _game(game):
    winner = Player.objects.filter(pk=game.winner_id).values_list("name", flat=True).first()
    return {
        "id": game.pk,
        "name": game.name,
        "status": game.status,
        "status_label": str(Game.Status(game.status).label),
        "confirmation_mode": game.confirmation_mode,
        "winner": winner,
        "alive": game.players.alive().count(),
    }


def _kill(kill, other):
    return {
        "id": kill.pk,
        other: getattr(kill, other).name,
        "mission": kill.mission_text,
        "status": kill.status,
        "reported_at": kill.created_at,
    }
