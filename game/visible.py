"""What players see, as plain data: the JSON API returns it and the pages render it.

A player sees their own target, mission, codes and kills, and public facts about the others
(names, who is out, and kill counts unless a live game keeps killers secret). Nothing here may ever
reveal another living player's target.
"""

from game import codes, notices, polls
from game.models import Game, Player

FEED_LENGTH = 50
# The leaderboard the players poll shows the top 100: a phone shows no more, and a 5,000-player game's
# whole board is half a megabyte that each kill would make every player download again. The results
# of a finished game show everyone.
LEADERBOARD_LENGTH = 100


def me(player):
    game = player.game
    live = player.alive and game.is_live
    kills = _open_kills(game) if live else {}
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
        "target": {"id": player.target_id, "name": player.target.name, "group": player.target.group}
        if live and player.target_id
        else None,
        "mission": player.mission.text if live and player.mission_id else None,
        "kill_against_me": kills.get(("against", player.pk)),
        "my_kill": kills.get(("mine", player.pk)),
        # The rules stamp the player's version with every notice: the newest ride in the ETagged page.
        "notices": notices.latest(player),
    }


def leaderboard(game, length=LEADERBOARD_LENGTH):
    """The ranking, its first `length` rows (None: all of them) and how many rows it has.

    While a game that keeps killers secret is live, the rows carry no kills and no rank, and are
    ordered by what the feed already shows (alive or out) and by name: a kill count going up as a
    victim goes out, or a row moving up, would name the killer to anyone who compares two polls."""
    players = game.players.exclude(dropped_out=True, eliminated_at__isnull=True)
    hidden = _kills_hidden(game)
    players = players.order_by("-alive", "name", "pk") if hidden else players.ranked()
    rows = [
        {
            "name": p.name,
            "group": p.group,
            "alive": p.alive,
            "kills": None if hidden else p.kill_count,
            "winner": p.pk == game.winner_id,
        }
        for p in players
    ]
    # The last survivor wins; kills rank the rest.
    rows.sort(key=lambda row: not row["winner"])
    for rank, row in enumerate(rows, start=1):
        row["rank"] = None if hidden else rank
    return {
        "game": {**_game(game), "alive": sum(row["alive"] for row in rows)},
        "players": rows[:length],
        "total": len(rows),
        "kills_hidden": hidden,
    }


def _kills_hidden(game):
    """Whether the game's public pages hold back everyone's kills: until it ends, in a game whose
    feed keeps killers secret. The final ranking shows them."""
    return game.is_live and not game.feed_names_killers


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
    return polls.by_version("game", game, lambda: _game_facts(game))


def _game_facts(game):
    winner = Player.objects.filter(pk=game.winner_id).values_list("name", flat=True).first()
    return {
        "id": game.pk,
        "name": game.name,
        "status": game.status,
        "status_label": str(Game.Status(game.status).label),
        "confirmation_mode": game.confirmation_mode,
        "winner": winner,
    }


def _open_kills(game):
    """The game's open kills as each side sees them, by ("against" | "mine", player id).

    One query per game version for all the players, instead of one per player and poll.
    """
    return polls.by_version("open-kills", game, lambda: _open_kills_now(game))


def _open_kills_now(game):
    kills = {}
    # Oldest first, so that the newest of a player's kills wins.
    for kill in game.kills.open().select_related("killer", "victim").order_by("created_at", "pk"):
        kills[("against", kill.victim_id)] = _kill(kill, "killer")
        kills[("mine", kill.killer_id)] = _kill(kill, "victim")
    return kills


def _kill(kill, other):
    return {
        "id": kill.pk,
        other: getattr(kill, other).name,
        # Beside the name, as on the target: players of one game may share a name.
        f"{other}_group": getattr(kill, other).group,
        "mission": kill.mission_text,
        "status": kill.status,
        "reported_at": kill.created_at,
    }
