"""What players may see, as plain data: the JSON API returns it and the pages render it.

A player sees their own target, mission, codes and kills, and public facts about the others
(names, kill counts, who is out). Nothing here may ever reveal another living player's target.
"""

import json
import time

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import get_language

from game import codes
from game.models import Game, Player

FEED_LENGTH = 50
# The leaderboard the players poll shows the top 100: a phone shows no more, and a 5,000-player game's
# whole board is half a megabyte that each kill would make every player download again. The results
# of a finished game show everyone.
LEADERBOARD_LENGTH = 100
# What depends only on the game's version is cached under that version: it never goes stale.
VERSIONED_TIMEOUT = 300


def me_etag(player):
    """Changes whenever what `player` sees on their own page changes (the rules bump Player.version)."""
    return etag("me", player.pk, player.version)


def session_etag(view, player_id, game_id, language=None, *, database=True):
    """The ETag `player_id` would get now (in `language`, default the active one), mostly from this
    process's memory; None when the player or game is gone. A poll that already has it gets a 304
    without loading the player. Without `database`, None also when a version is neither in this
    process's memory nor in the cache."""
    if view == "me":
        version = _player_version(player_id, game_id, database)
    else:
        version = _game_version(game_id, database)
    return None if version is None else etag(view, player_id, version, language)


def etag(view, player_id, version, language=None):
    return f'"{view}-{player_id}-{version}-{language or get_language()}"'


# This process's copies of the versions, so that most polls answered 304 read neither the cache nor
# the database (a Redis read was most of a poll's cost, and a database read through Django far more).
# A game's version is kept LOCAL_VERSION_SECONDS. Its players' versions are kept as one map per game,
# current at a game version: a player's version is the game's version when their page last changed
# (game/rules.py stamps it), so once the game's version moves, one query for the players stamped
# since brings the map up to date, whatever the number of players.
_game_versions = {}  # game id -> (version, until when, on time.monotonic())
_player_versions = {}  # game id -> (the game's version the map is current at, {player id: version})


def game_version(game_id):
    """The game's version, mostly from this process's memory (at most LOCAL_VERSION_SECONDS old, as
    for a 304); None when the game is gone."""
    return _game_version(game_id)


def plays_in(player_id, game_id):
    """Whether the player is (still) in the game, mostly from this process's memory."""
    return _player_version(player_id, game_id) is not None


def _game_version(game_id, database=True):
    version, until = _game_versions.get(game_id, (None, 0))
    if time.monotonic() >= until:
        version = _version(f"game-version:{game_id}", Game, game_id, database)
        if version is None and not database:
            return None  # not known, rather than gone
        _game_versions[game_id] = (version, time.monotonic() + settings.LOCAL_VERSION_SECONDS)
    return version


def _player_version(player_id, game_id, database=True):
    game_version = _game_version(game_id, database)
    if game_version is None:
        return None
    current_at, versions = _player_versions.get(game_id, (None, None))
    # A map brought up to date past the game's version this process holds answers as well.
    if versions is None or current_at < game_version:
        if not database:
            return None
        current_at, versions = _bring_up_to_date(game_id, game_version, current_at, versions)
    version = versions.get(player_id)
    if version is None and database:
        # A player added without a stamp (none of the rules does that) or out of the map.
        version = (
            Player.objects.filter(pk=player_id, game_id=game_id).values_list("version", flat=True).first()
        )
        if version is not None:
            versions[player_id] = version
    return version


def _bring_up_to_date(game_id, game_version, current_at, versions):
    """The game's map of player versions as of `game_version`: all of them the first time, then the
    players stamped since the map was last brought up to date.

    Under gevent on PostgreSQL, polls of one worker may bring the same map up to date at once, and
    finish in any order: versions only grow, so the newest of each wins, and so does the map's.

    A deleted player leaves no row to find by its version: when the game no longer has as many
    players as the map, the map starts over (deleting a player bumps the game's version too)."""
    players = Player.objects.filter(game_id=game_id).order_by()
    if versions is not None and players.count() != len(versions):
        versions = None
    if versions is None:
        forget_if_full(_player_versions, limit=100)
        versions = {}
    else:
        players = players.filter(version__gt=current_at)
    for pk, version in players.values_list("pk", "version"):
        if version > versions.get(pk, -1):
            versions[pk] = version
    known_at, known = _player_versions.get(game_id, (None, None))
    if known is versions:  # another poll may have brought it further meanwhile
        game_version = max(game_version, known_at)
    _player_versions[game_id] = (game_version, versions)
    return game_version, versions


def forget_if_full(memory, limit=100_000):
    """Keeps a process's memory bounded: starting over costs one read per player (or game)."""
    if len(memory) >= limit:
        memory.clear()


def _version(key, model, pk, database=True):
    """A row's version, from the cache or (if `database`) the database.

    The rules forget it once they commit. A cache per process (locmem) forgets only in the process
    that committed, so the others may answer 304 for VERSION_CACHE_SECONDS more: a poll sees a
    change at worst that much later, never misses it. A shared cache (Redis) forgets everywhere.
    """
    version = cache.get(key)
    if version is None and database:
        version = model.objects.filter(pk=pk).order_by().values_list("version", flat=True).first()
        if version is not None:
            cache.set(key, version, settings.VERSION_CACHE_SECONDS)
    return version


def forget_versions(game_id):
    """After a commit: the game's version (the players' follow from it)."""
    _game_versions.pop(game_id, None)  # this process sees the change at its next poll
    cache.delete(f"game-version:{game_id}")


def versioned_key(view, game_id, version):
    """A cache key for what every player of a game sees alike at `version`, in this language."""
    return f"{view}:{game_id}:{version}:{get_language()}"


# (view, game id, language) -> (version, JSON): this process's copy of the latest version of what
# every player of a game sees alike. A kill makes every player's next look at the leaderboard a 200
# (and the ranking of a 5,000-player game takes ~100 ms to build): from here it costs neither a
# query nor a cache read.
_shared = {}


def shared_json(view, game_id, build):
    """(the game's version, the JSON of `build(game)` at that version): from this process's memory,
    else from the cache, else built once for the version and kept in the cache for the others."""
    version = game_version(game_id)
    key = (view, game_id, get_language())
    known = _shared.get(key)
    if known and version is not None and known[0] >= version:  # a newer one is as good
        return known
    body = cache.get(versioned_key(view, game_id, version))
    if body is None:
        game = Game.objects.get(pk=game_id)  # at its version now, maybe newer than `version`
        version, body = game.version, json.dumps(build(game), cls=DjangoJSONEncoder)
        cache.set(versioned_key(view, game_id, version), body, VERSIONED_TIMEOUT)
    # Gevent: another request may have kept a newer version meanwhile.
    if known is None or version >= known[0]:
        forget_if_full(_shared, limit=1000)
        _shared[key] = (version, body)
    return version, body


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
        "target": {"name": player.target.name, "group": player.target.group}
        if live and player.target_id
        else None,
        "mission": player.mission.text if live and player.mission_id else None,
        "kill_against_me": kills.get(("against", player.pk)),
        "my_kill": kills.get(("mine", player.pk)),
    }


def leaderboard(game, length=LEADERBOARD_LENGTH):
    """The ranking, its first `length` rows (None: all of them) and how many rows it has."""
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
    return {
        "game": {**_game(game), "alive": sum(row["alive"] for row in rows)},
        "players": rows[:length],
        "total": len(rows),
    }


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
    key = versioned_key("game", game.pk, game.version)
    data = cache.get(key)
    if data is None:
        data = _game_uncached(game)
        cache.set(key, data, VERSIONED_TIMEOUT)
    return data


def _game_uncached(game):
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
    key = versioned_key("open-kills", game.pk, game.version)
    kills = cache.get(key)
    if kills is None:
        kills = {}
        # Oldest first, so that the newest wins, as `.first()` on the newest-first ordering did.
        for kill in game.kills.open().select_related("killer", "victim").order_by("created_at", "pk"):
            kills[("against", kill.victim_id)] = _kill(kill, "killer")
            kills[("mine", kill.killer_id)] = _kill(kill, "victim")
        cache.set(key, kills, VERSIONED_TIMEOUT)
    return kills


def _kill(kill, other):
    return {
        "id": kill.pk,
        other: getattr(kill, other).name,
        "mission": kill.mission_text,
        "status": kill.status,
        "reported_at": kill.created_at,
    }
