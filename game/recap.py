"""A finished game's recap, as plain data: its awards, and each player's own story.

Everything is read from the confirmed kills (undone, rejected, denied and cancelled ones never
count) and the players as they are now, so a reopened game that ends again has the recap of its
last end. An award names every holder of a tie; an award nobody earned has no holders.
"""

from collections import Counter
from datetime import timedelta

from game import polls
from game.models import Kill

# The awards that point at single kills, which a game whose feed keeps killers secret never shows the
# public: with the feed's times, they would tell who killed whom.
KILL_AWARDS = ("first_blood", "fastest_kill", "longest_streak")


def awards(game):
    """{award: {"holders": [{"id", "name"}], "value": …}}, kept in the cache under the game's version."""
    return polls.by_version("recap-awards", game, lambda: _awards(game))


def public_awards(game):
    """The awards the game's public recap page shows."""
    shown = awards(game)
    if not game.feed_names_killers:
        shown = {name: award for name, award in shown.items() if name not in KILL_AWARDS}
    return shown


def _awards(game):
    names = dict(game.players.values_list("pk", "name"))
    kills = list(
        game.kills.confirmed()
        .order_by("resolved_at", "pk")
        .values_list("killer_id", "resolved_at", "mission_text")
    )

    def award(best, value=None):
        ordered = sorted(best, key=lambda pk: (names[pk], pk))
        return {"holders": [{"id": pk, "name": names[pk]} for pk in ordered], "value": value}

    counts = Counter(killer for killer, _at, _mission in kills)
    most = max(counts.values(), default=0)
    first = kills[0][1] if kills else None
    return {
        "winner": award([game.winner_id] if game.winner_id else []),
        "most_kills": award([pk for pk, n in counts.items() if n == most], most),
        "first_blood": award({killer for killer, at, _mission in kills if at == first}, first),
        "fastest_kill": _fastest_kill(game, kills, award),
        "longest_survivor": _longest_survivor(game, award),
        "longest_streak": _longest_streak(kills, award),
        "missions": _missions(kills),
    }


def _fastest_kill(game, kills, award):
    """The shortest time from getting a target to the kill: since the killer's previous kill, or since
    the start for their first one."""
    since, times = {}, []
    for killer, at, _mission in kills:
        times.append((at - since.get(killer, game.started_at or at), killer))
        since[killer] = at
    best = min((time for time, _killer in times), default=None)
    holders = {killer for time, killer in times if time == best}
    # To the second: what the page shows ("0:03:12").
    return award(holders, best and timedelta(seconds=int(best.total_seconds())))


def _longest_survivor(game, award):
    """Of the players killed (not those who left), who went out last."""
    out = dict(
        game.players.filter(alive=False, dropped_out=False, eliminated_at__isnull=False).values_list(
            "pk", "eliminated_at"
        )
    )
    last = max(out.values(), default=None)
    return award([pk for pk, at in out.items() if at == last], last)


def _longest_streak(kills, award):
    """The most kills one player made in a row, with no kill by anyone else in between (two or more)."""
    streaks, previous, length = Counter(), None, 0
    for killer, _at, _mission in kills:
        length = length + 1 if killer == previous else 1
        previous = killer
        streaks[killer] = max(streaks[killer], length)
    best = max(streaks.values(), default=0)
    if best < 2:
        return award([], 0)
    return award([pk for pk, n in streaks.items() if n == best], best)


def _missions(kills):
    """The missions completed most and least often, by their text at the time of the kill."""
    counts = Counter(mission for _killer, _at, mission in kills if mission)
    most, least = max(counts.values(), default=0), min(counts.values(), default=0)
    return {
        "most": {"texts": sorted(text for text, n in counts.items() if n == most), "count": most},
        "least": {"texts": sorted(text for text, n in counts.items() if n == least), "count": least},
        "counts": dict(counts),
    }


def story(player):
    """What a player did and what happened to them, for their own page once the game is over."""
    kills = Kill.objects.confirmed().select_related("killer", "victim")
    victims = [
        {"name": kill.victim.name, "mission": kill.mission_text, "at": kill.resolved_at}
        for kill in kills.filter(killer=player).order_by("resolved_at", "pk")
    ]
    death = kills.filter(victim=player).order_by("-resolved_at", "-pk").first()
    killed_by = (
        {"name": death.killer.name, "mission": death.mission_text, "at": death.resolved_at}
        if death is not None and not player.alive
        else None
    )
    return {"victims": victims, "killed_by": killed_by}
