"""The rules of Killer: the only code that changes a game.

Player pages, the JSON API, the admin and the Google Sheets sync all call these functions. Each one
runs in a single transaction that starts by locking the game row (`select_for_update` on PostgreSQL;
on SQLite the IMMEDIATE transaction already holds the database's write lock), then re-reads what it
needs, checks it and writes. Two requests on the same game therefore run one after the other and the
second sees what the first did. Nothing in here talks to the network.

Every change writes an Event. As a rule saves, `_save` notes whose own page each save changes; as its
locked block ends, the game's version moves by one and those players get it as their version: the
ETags player pages poll with (game/polls.py).

The public functions come by what they act on (the game, its chain, kills, players, missions), the
internals last.
"""

import logging
import random
import re
import secrets
import time
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q, Subquery
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from game import audit, codes, polls, validators
from game.errors import RuleError, WrongDeathCode
from game.models import Event, ForbiddenPair, Game, Kill, Mission, Notice, Player, namesake_key

logger = logging.getLogger(__name__)
rng = random.SystemRandom()
RECAP_EVENTS = ("recap_published", "recap_hidden")

# The actor of the changes the clock makes (manage.py game_clock): its Events say "by the clock".
CLOCK = "clock"
MAX_CLAIM_TIMEOUT_MINUTES = 30 * 24 * 60
# How hard _draw_cycle tries before it settles for a draw that breaks some constraints.
DRAW_SWAPS_PER_PLAYER = 200
DRAW_SECONDS = 5


def actor_for_player(player):
    return f"player:{player.name} (#{player.pk})"


def actor_for_user(user):
    return f"gm:{user.get_username()}"


# --- The game -------------------------------------------------------------------------------------


def game_start(*, game: Game, actor: str) -> Game:
    """Put every player in one random cycle and hand out missions, without repeats while the pool allows.
    The cycle keeps out the hunts the game forbids as far as it can (`_draw_cycle`); its Event says how
    many it could not keep out (`broken_links`)."""
    with _locked_game(game.pk) as game:
        if game.status != Game.Status.SETUP:
            raise RuleError(_("The game has already started."))
        players = list(game.players.alive())
        if len(players) < 2:
            raise RuleError(_("A game needs at least two players."))
        pool = list(game.missions.filter(active=True))
        if not pool:
            raise RuleError(_("Add at least one mission to the pool first."))
        players, broken = _draw_cycle(game, players)
        missions = _deal(pool, len(players))
        for player, mission in zip(players, missions, strict=True):
            player.mission = mission
        _link_cycle(game, players)
        game.status = Game.Status.RUNNING
        game.started_at = timezone.now()
        _save(game, "status", "started_at")
        _event(game, "game_started", actor, players=len(players), broken_links=broken)
        return game


def game_pause(*, game: Game, actor: str) -> Game:
    with _locked_game(game.pk) as game:
        if game.status != Game.Status.RUNNING:
            raise RuleError(_("Only a running game can be paused."))
        game.status = Game.Status.PAUSED
        _save(game, "status")
        _event(game, "game_paused", actor)
        return game


def game_resume(*, game: Game, actor: str) -> Game:
    with _locked_game(game.pk) as game:
        if game.status != Game.Status.PAUSED:
            raise RuleError(_("Only a paused game can be resumed."))
        game.status = Game.Status.RUNNING
        _save(game, "status")
        _event(game, "game_resumed", actor)
        return game


def game_finish(*, game: Game, actor: str) -> Game:
    """End the game now. The winner is the last survivor, if there is exactly one."""
    with _locked_game(game.pk) as game:
        if game.status == Game.Status.FINISHED:
            raise RuleError(_("The game is already finished."))
        alive = list(game.players.alive())
        _finish(game, actor, winner=alive[0] if len(alive) == 1 else None)
        return game


def game_reopen(*, game: Game, actor: str) -> Game:
    """Take back the end of a game finished by mistake, as long as nothing changed since it ended.

    A game that ended by itself gets back the player whose kill or drop-out ended it, through the
    same repair as a kill's undo; one finished early gets back the chain it had. Either way it is
    running (or paused) again as it was just before the end, with no winner.
    """
    with _locked_game(game.pk) as game:
        if game.status != Game.Status.FINISHED:
            raise RuleError(_("Only a finished game can be reopened."))
        _require_not_erased(game)
        # Opening or closing the recap changes nothing that reopening would have to take back.
        end = game.events.exclude(kind__in=RECAP_EVENTS).order_by("-pk").first()
        if end is None or end.kind != "game_finished" or "chain" not in end.data:
            raise RuleError(
                _("The game changed after it finished (see the event log): it can no longer be reopened.")
            )
        if "kill" in end.data:
            _undo_kill(game, Kill.objects.get(pk=end.data["kill"]), actor, reason="")
        elif "dropped_out" in end.data:
            _undo_drop_out(game, Player.objects.get(pk=end.data["dropped_out"]), actor)
        elif len(end.data["chain"]) >= 2:
            players = Player.objects.in_bulk(end.data["chain"])
            _link_cycle(game, [players[pk] for pk in end.data["chain"]])
        else:
            raise RuleError(_("Only one player was left alive: there is no game to go on with."))
        _unfinish(game, end.data["status"])
        _event(game, "game_reopened", actor)
        return game


def game_set_options(
    *,
    game: Game,
    actor: str,
    confirmation_mode: str,
    feed_names_killers: bool,
    killer_inherits_mission: bool,
    claim_timeout_minutes: int | None = None,
    claim_timeout_action: str | None = None,
    avoid_same_group: bool | None = None,
) -> Game:
    """Change how a game is played. Kills already waiting keep waiting; the new rules apply from now
    (a new claim timeout, too: it counts from each kill's declaration). None: the option as it is."""
    with _locked_game(game.pk) as game:
        if game.status == Game.Status.FINISHED:
            raise RuleError(_("The game is finished."))
        if confirmation_mode not in Game.ConfirmationMode.values:
            raise RuleError(_("Unknown confirmation mode."), status=400)
        if claim_timeout_minutes is None:
            claim_timeout_minutes = game.claim_timeout_minutes
        if claim_timeout_action is None:
            claim_timeout_action = game.claim_timeout_action
        if claim_timeout_action not in Game.ClaimTimeoutAction.values:
            raise RuleError(_("Unknown action after the claim timeout."), status=400)
        if not 0 <= claim_timeout_minutes <= MAX_CLAIM_TIMEOUT_MINUTES:
            raise RuleError(_("The claim timeout is between 0 and 43200 minutes (30 days)."), status=400)
        changes = _save_changes(
            game,
            confirmation_mode=confirmation_mode,
            feed_names_killers=feed_names_killers,
            killer_inherits_mission=killer_inherits_mission,
            claim_timeout_minutes=claim_timeout_minutes,
            claim_timeout_action=claim_timeout_action,
            avoid_same_group=avoid_same_group,
        )
        if changes:
            _event(game, "game_options_changed", actor, changes=changes)
        return game


def forbidden_pair_add(*, game: Game, a: Player, b: Player, actor: str) -> ForbiddenPair:
    """Two players who must not hunt each other from the next draw or insertion on."""
    with _locked_game(game.pk) as game:
        if a.pk == b.pk or game.players.filter(pk__in=[a.pk, b.pk]).count() != 2:
            raise RuleError(_("A forbidden pair needs two different players of this game."), status=400)
        pair = ForbiddenPair.objects.create(game=game, a_id=a.pk, b_id=b.pk)
        _event(game, "game_options_changed", actor, changes={"forbidden_pair_added": [a.pk, b.pk]})
        return pair


def forbidden_pair_delete(*, pair: ForbiddenPair, actor: str) -> None:
    with _locked_game(pair.game_id) as game:
        ForbiddenPair.objects.filter(pk=pair.pk).delete()
        _event(
            game, "game_options_changed", actor, changes={"forbidden_pair_removed": [pair.a_id, pair.b_id]}
        )


def game_rename(*, game: Game, name: str, actor: str) -> Game:
    """Rename a game: every player's page shows the new name."""
    with _locked_game(game.pk) as game:
        if not name:
            raise RuleError(_("A game needs a name."), status=400)
        validators.check_plain_text(name)
        validators.check_length(Game, "name", name)
        if changes := _save_changes(game, name=name):
            _event(game, "game_renamed", actor, changes=changes)
        return game


# Sent inside the erasure's transaction with `game`: an app that keeps its own copy of the players'
# data (sheets_sync, the cells of the last sync) forgets it in the same commit. (game imports no app.)
personal_data_erased = Signal()

# Sent inside a rule's transaction, once per rule that recorded notices, with `game` and `notices` (the
# Notice rows, saved): an app that delivers them elsewhere (e-mail) queues its work in the same commit,
# so that the work exists exactly when the rule committed. (game imports no app.)
notices_recorded = Signal()


def game_erase_personal_data(*, game: Game, actor: str) -> Game:
    """Erase what tells who the players of a finished game were, for good: names become "Player 1",
    "Player 2"… (in the order they joined), e-mails, groups and kills' reasons are emptied, and the
    codes can no longer be typed. Kill counts, the ranking, missions, times and the event log's rows
    stay, so the statistics do; the players of the game can no longer be changed."""
    with _locked_game(game.pk) as game:
        if game.status != Game.Status.FINISHED:
            raise RuleError(_("Only a finished game's personal data can be erased: finish the game first."))
        _require_not_erased(game)
        # One UPDATE a row: bulk_update's CASE over thousands of rows costs several times more.
        players = {player.pk: player for player in game.players.order_by("pk")}
        for number, player in enumerate(players.values(), start=1):
            player.name = _("Player %(number)d") % {"number": number}
            player.email = player.group = ""
            # Not a code a player can type: codes.normalize() makes what they type upper case.
            player.login_code = player.death_code = f"erased-{player.pk}"
            player.save(update_fields=["name", "email", "group", "login_code", "death_code"])
        kills = list(game.kills.all())
        for kill in kills:
            kill.killer, kill.victim = players[kill.killer_id], players[kill.victim_id]  # str(kill), below
            changes = {"reason": "", "resolved_by": _erased_actor(kill.resolved_by, players)}
            if changes != {"reason": kill.reason, "resolved_by": kill.resolved_by}:
                Kill.objects.filter(pk=kill.pk).update(**changes)
        for event in game.events.all():
            changes = {"actor": _erased_actor(event.actor, players), "data": _erased_data(event, players)}
            if changes != {"actor": event.actor, "data": event.data}:
                Event.objects.filter(pk=event.pk).update(**changes)
        _erase_admin_history([*players.values(), *kills])
        game.personal_data_erased_at = timezone.now()
        _save(game, "personal_data_erased_at")
        _event(game, "personal_data_erased", actor, players=len(players))
        personal_data_erased.send(sender=Game, game=game)
        return game


def game_set_recap_public(*, game: Game, actor: str, public: bool) -> Game:
    """Open a finished game's recap page to anyone with its link, or close it again."""
    with _locked_game(game.pk) as game:
        if game.status != Game.Status.FINISHED:
            raise RuleError(_("Only a finished game has a recap."))
        if game.recap_public != public:
            game.recap_public = public
            _save(game, "recap_public")
            _event(game, "recap_published" if public else "recap_hidden", actor)
        return game


def game_delete(*, game: Game, actor: str) -> None:
    """Delete a finished game with all it holds, its event log too. (The admin lets superusers only.)"""
    with _locked_game(game.pk) as game:
        if game.status != Game.Status.FINISHED:
            raise RuleError(_("Only a finished game can be deleted."))
        pk = game.pk
        game.delete()
        # Its events go with it: the server's log keeps who deleted it (with the request id).
        logger.info("Game %s (#%s) deleted by %s, with its events", game.name, pk, actor)
        # After the commit, as for any change: the versions cached for the game are forgotten.
        transaction.on_commit(partial(polls.forget_game, pk))


# --- The chain ------------------------------------------------------------------------------------


def game_reshuffle(*, game: Game, actor: str) -> Game:
    """A new random cycle over the players still alive; each keeps their mission. Like game_start, it
    avoids forbidden hunts and its Event counts those it could not."""
    with _locked_game(game.pk) as game:
        _require_live(game)
        players, broken = _draw_cycle(game, list(game.players.alive()))
        for player in players:
            if player.mission_id is None:
                player.mission = _draw_mission(game)
        _link_cycle(game, players)
        _cancel_stale_kills(game, actor)
        _event(game, "game_reshuffled", actor, players=len(players), broken_links=broken)
        return game


def chain_problems(game: Game) -> list[str]:
    """What is wrong with a live game's chain; empty when the alive players form one whole cycle."""
    if not game.is_live:
        return []
    alive = {p.pk: p for p in game.players.alive()}
    if len(alive) < 2:
        return [_("A live game needs at least two players alive.")]
    problems = []
    for player in alive.values():
        if player.target_id is None:
            problems.append(_("%(player)s has no target.") % {"player": player})
        elif player.target_id not in alive:
            problems.append(_("%(player)s hunts a player who is not alive.") % {"player": player})
        if player.mission_id is None:
            problems.append(_("%(player)s has no mission.") % {"player": player})
    if problems:
        return problems
    start = next(iter(alive.values()))
    seen, current = set(), start
    while current.pk not in seen:
        seen.add(current.pk)
        current = alive[current.target_id]
    if len(seen) != len(alive):
        problems.append(_("The targets form more than one cycle."))
    return problems


def chain_order(alive_players) -> list[Player]:
    """The alive players in hunting order. A whole chain comes out as its one cycle; a broken one
    as its pieces one after another, each starting with a player nobody alive hunts."""
    alive = {p.pk: p for p in alive_players}
    hunted = {p.target_id for p in alive.values()}
    order, placed = [], set()
    for start in [p for p in alive.values() if p.pk not in hunted] + list(alive.values()):
        current = start
        while current is not None and current.pk not in placed:
            order.append(current)
            placed.add(current.pk)
            current = alive.get(current.target_id)
    return order


def winner_if_out(player: Player) -> Player | None:
    """Who wins if `player` is eliminated or drops out now: the other one when they are the last two."""
    if not player.alive or not player.game.is_live:
        return None
    others = list(player.game.players.alive().exclude(pk=player.pk)[:2])
    return others[0] if len(others) == 1 else None


def chain_repair(*, game: Game, actor: str) -> Game:
    """Join the pieces of a broken chain back into one cycle, keeping every link that still holds."""
    with _locked_game(game.pk) as game:
        _require_live(game)
        order = chain_order(game.players.alive())
        if len(order) < 2:
            _finish_if_won(game, actor)
            return game
        for player in order:
            if player.mission_id is None:
                player.mission = _draw_mission(game)
        _link_cycle(game, order)
        _cancel_stale_kills(game, actor)
        _event(game, "chain_repaired", actor, players=len(order))
        _finish_if_won(game, actor)
        return game


# --- Kills ----------------------------------------------------------------------------------------


def kill_declare(*, killer: Player, actor: str, target_id: int | None = None) -> Kill:
    """The killer says they did their mission on their target. Confirmed at once in automatic mode.

    A player's request names `target_id`, the target their page showed: the same request again
    (a double tap, a phone's retry) gets the kill the first one made, and a target that changed since
    is refused, so that no declaration ever lands on a player the killer never met. None: whoever the
    target is now."""
    with _locked_game(killer.game_id) as game:
        _require_running(game)
        if game.confirmation_mode == Game.ConfirmationMode.CODE_ONLY:
            raise RuleError(
                _("In this game a kill counts only with the victim's death code or their own report."),
                status=403,
            )
        killer = _alive_player(killer.pk)
        if target_id is not None:
            earlier = (
                Kill.objects.filter(killer=killer, victim_id=target_id, method=Kill.Method.DECLARED)
                .exclude(status__in=(Kill.Status.CANCELLED, Kill.Status.REJECTED))
                .order_by("-pk")
                .first()
            )
            if earlier is not None and (
                earlier.status in Kill.OPEN_STATUSES or killer.target_id != target_id
            ):
                return earlier
            if killer.target_id != target_id:
                raise RuleError(_("Your target changed before your report arrived: look at your page again."))
        victim = _target(killer)
        if Kill.objects.open().filter(victim=victim).exists():
            raise RuleError(_("Your kill on your target is already waiting for an answer."))
        kill = Kill(
            game=game,
            killer=killer,
            victim=victim,
            mission_text=_mission_text(killer),
            method=Kill.Method.DECLARED,
        )
        _save(kill)
        _event(game, "kill_declared", actor, player=killer, kill=kill.pk, victim=victim.pk)
        if game.confirmation_mode == Game.ConfirmationMode.AUTOMATIC:
            _confirm(game, kill, actor)
        else:
            _notify(victim.pk, Notice.Kind.CLAIM_ON_YOU, kill)
        return kill


def kill_confirm(*, kill: Kill, actor: str, reason: str | None = None, by_game_master: bool = False) -> Kill:
    """The victim, or a game master who may say why on the kill, confirms a pending or disputed kill.

    A game master may also while the game is paused: a pause stops the players, not the settling of
    the kills that wait (a game master may reject them, too)."""
    with _locked_game(kill.game_id) as game:
        if by_game_master:
            _require_live(game)
        else:
            _require_running(game)
        kill = Kill.objects.get(pk=kill.pk)
        if kill.status not in Kill.OPEN_STATUSES:
            raise RuleError(_("This kill is no longer waiting for an answer."))
        if reason is not None:
            kill.reason = reason
        _confirm(game, kill, actor)
        return kill


def kill_deny(*, kill: Kill, actor: str) -> Kill:
    """The victim says it did not happen: the kill is disputed until a game master settles it."""
    with _locked_game(kill.game_id) as game:
        _require_running(game)
        kill = Kill.objects.get(pk=kill.pk)
        if kill.status != Kill.Status.PENDING:
            raise RuleError(_("This kill is no longer waiting for an answer."))
        kill.status = Kill.Status.DENIED
        _save(kill, "status")
        _event(game, "kill_denied", actor, player=kill.victim, kill=kill.pk)
        _notify(kill.killer_id, Notice.Kind.CLAIM_DENIED, kill)
        return kill


def kill_reject(*, kill: Kill, actor: str, reason: str) -> Kill:
    """A game master throws out a pending or disputed kill, saying why (the killer reads it): nobody dies."""
    reason = reason.strip()
    if not reason:
        raise RuleError(_("Say why the kill is rejected: the killer reads it."), status=400)
    with _locked_game(kill.game_id) as game:
        kill = Kill.objects.get(pk=kill.pk)
        if kill.status not in Kill.OPEN_STATUSES:
            raise RuleError(_("This kill is no longer waiting for an answer."))
        _close(kill, Kill.Status.REJECTED, actor, reason)
        _event(game, "kill_rejected", actor, player=kill.killer, kill=kill.pk, reason=reason)
        _notify(kill.killer_id, Notice.Kind.CLAIM_REJECTED, kill)
        return kill


def kill_with_death_code(*, killer: Player, death_code: str, actor: str) -> Kill:
    """The killer types the death code their victim handed over: confirmed at once."""
    with _locked_game(killer.game_id) as game:
        _require_running(game)
        killer = _alive_player(killer.pk)
        # Bytes: compare_digest refuses str with non-ASCII characters, which a player may type.
        code = codes.normalize(death_code).encode()
        # The same code again (a double tap, a phone's retry) gets the kill it made.
        last = Kill.objects.filter(killer=killer, method=Kill.Method.DEATH_CODE).confirmed().order_by("-pk")
        earlier = last.select_related("victim").first()
        if (
            earlier is not None
            and earlier.victim_id != killer.target_id  # not revived into the chain since
            and secrets.compare_digest(code, earlier.victim.death_code.encode())
        ):
            return earlier
        victim = _target(killer)
        # Compared with the target's code only: a wrong code says nothing about anyone else's.
        if not secrets.compare_digest(code, victim.death_code.encode()):
            raise WrongDeathCode(_("That is not your target's death code."), status=400)
        kill = _claim(game, killer, victim, Kill.Method.DEATH_CODE, actor)
        _confirm(game, kill, actor)
        return kill


def death_report(*, victim: Player, actor: str) -> Kill:
    """The victim reports their own death; it is credited to their hunter."""
    with _locked_game(victim.game_id) as game:
        _require_running(game)
        victim = _alive_player(victim.pk)
        kill = _claim(game, _hunter(victim), victim, Kill.Method.SELF_REPORT, actor)
        _confirm(game, kill, actor)
        return kill


def kill_force(*, victim: Player, actor: str, reason: str = "") -> Kill:
    """A game master eliminates a player; the kill is credited to their hunter."""
    with _locked_game(victim.game_id) as game:
        _require_live(game)
        victim = _alive_player(victim.pk)
        kill = _claim(game, _hunter(victim), victim, Kill.Method.GAME_MASTER, actor)
        kill.reason = reason
        _confirm(game, kill, actor)
        return kill


def kill_undo(*, kill: Kill, actor: str, reason: str = "") -> Kill:
    """Take back a confirmed kill: the victim lives again and the chain is put back as it was.

    Possible only while the killer still hunts whoever the victim hunted, i.e. no later change
    went through that link; otherwise the game master revives the victim instead.
    """
    with _locked_game(kill.game_id) as game:
        _require_not_erased(game)  # the undo of a finished game's last kill would start it again
        kill = _undo_kill(game, Kill.objects.get(pk=kill.pk), actor, reason)
        if game.status == Game.Status.FINISHED:
            _unfinish(game, Game.Status.RUNNING)
        return kill


# --- The clock ------------------------------------------------------------------------------------


def clock_tick(*, game: Game, now: datetime) -> int:
    """Apply every change due on `game` by `now`, in the order it fell due, each in a transaction of
    its own; returns how many were applied. A clock that was down catches up in one tick, and two
    clocks at once apply each change once: every change checks it is still due under the game's lock."""
    applied = 0
    for kill_id in _due_claims(game, now).values_list("pk", flat=True):
        applied += claim_time_out(kill_id=kill_id, now=now)
    return applied


def claim_time_out(*, kill_id: int, now: datetime) -> bool:
    """A declared kill its victim left unanswered for the game's claim timeout: it counts, or it goes
    to the game masters as if disputed, as the game says. False when it is no longer due (answered,
    settled, or timed out by another clock meanwhile), and then nothing changes."""
    with _locked_game(Kill.objects.values_list("game_id", flat=True).get(pk=kill_id)) as game:
        kill = _due_claims(game, now).filter(pk=kill_id).first()
        if kill is None:
            return False
        action = game.claim_timeout_action
        _event(game, "claim_timed_out", CLOCK, player=kill.victim, kill=kill.pk, action=action)
        if action == Game.ClaimTimeoutAction.ESCALATE:
            kill.status = Kill.Status.DENIED
            _save(kill, "status")
        else:
            _confirm(game, kill, CLOCK)
        return True


# --- Players --------------------------------------------------------------------------------------


def player_join(*, game: Game, name: str, actor: str, email: str = "", group: str = "") -> Player:
    """Add a player. In a live game they go into the cycle at a random place that breaks as few of the
    game's constraints as it can, with a mission."""
    with _locked_game(game.pk) as game:
        if game.status == Game.Status.FINISHED:
            raise RuleError(_("The game is finished."))
        validators.check_player_fields(name=name, email=email, group=group)
        player = Player(game=game, name=name, email=email, group=group)
        _save(player)
        broken = _insert(game, player, after=None, actor=actor) if game.is_live else 0
        _event(game, "player_joined", actor, player=player, broken_links=broken)
        return player


def player_update(
    *, player: Player, actor: str, name: str | None = None, email: str | None = None, group: str | None = None
) -> Player:
    """Change a player's name, email or group (those given); the Event keeps the old and new values."""
    with _locked_game(player.game_id) as game:
        _require_not_erased(game)
        player = Player.objects.get(pk=player.pk)
        validators.check_player_fields(name=name, email=email, group=group)
        if changes := _save_changes(player, name=name, email=email, group=group):
            _event(game, "player_updated", actor, player=player, changes=changes)
        return player


def player_drop_out(*, player: Player, actor: str) -> Player:
    """A player leaves the game; in a live game their hunter inherits their target."""
    with _locked_game(player.game_id) as game:
        if game.status == Game.Status.FINISHED:
            raise RuleError(_("The game is finished."))
        player = _alive_player(player.pk)
        hunter = _hunter(player) if game.is_live else None
        target_id, mission_id = player.target_id, player.mission_id
        player.alive = False
        player.dropped_out = True
        player.target = None
        player.mission = None
        player.eliminated_at = timezone.now() if game.is_live else None
        _save(player, "alive", "dropped_out", "target", "mission", "eliminated_at")
        if hunter is not None:
            hunter.target_id = None if target_id == hunter.pk else target_id
            _save(hunter, "target")
            _cancel_stale_kills(game, actor)
        # What putting them back needs: where they were in the chain, and their mission.
        _event(
            game,
            "player_dropped_out",
            actor,
            player=player,
            hunter=hunter.pk if hunter else None,
            target=target_id,
            mission=mission_id,
        )
        _finish_if_won(game, actor, dropped_out=player.pk)
        return player


def player_revive(*, player: Player, actor: str, after: Player | None = None) -> Player:
    """Bring an eliminated player back, right after `after`, or at a random place that breaks as few of
    the game's constraints as it can."""
    with _locked_game(player.game_id) as game:
        _require_live(game)
        player = Player.objects.get(pk=player.pk)
        if player.alive:
            raise RuleError(_("%(player)s is alive already.") % {"player": player})
        if after is not None:
            after = Player.objects.filter(pk=after.pk, game=game, alive=True).first()
            if after is None:
                raise RuleError(_("The player to place them after must be alive in this game."), status=400)
        player.alive = True
        player.dropped_out = False
        player.eliminated_at = None
        _save(player, "alive", "dropped_out", "eliminated_at")
        broken = _insert(game, player, after=after, actor=actor)
        _event(
            game,
            "player_revived",
            actor,
            player=player,
            after=after.pk if after else None,
            broken_links=broken,
        )
        return player


def player_new_codes(*, player: Player, actor: str, login: bool = True, death: bool = True) -> Player:
    """New secret codes, e.g. when a card was lost or a death code leaked."""
    with _locked_game(player.game_id) as game:
        _require_not_erased(game)
        player = Player.objects.get(pk=player.pk)
        fields = []
        if login:
            player.login_code = codes.new_login_code()
            fields.append("login_code")
        if death:
            player.death_code = codes.new_death_code()
            fields.append("death_code")
        _save(player, *fields)
        _event(game, "codes_regenerated", actor, player=player, codes=fields)
        if login:  # the sessions opened with the old code end: the early 304 must not vouch for them
            transaction.on_commit(partial(polls.end_sessions, player.pk))
        return player


def player_delete(*, player: Player, actor: str) -> None:
    """Delete a player, with their kills, from a game that is not under way (in a live one, drop them
    out): the leaderboard and the feed change, and the player's session no longer shows the game."""
    with _locked_game(player.game_id) as game:
        if game.is_live:
            raise RuleError(_("The game is under way: drop the player out instead."))
        player = Player.objects.get(pk=player.pk)
        name = player.name
        transaction.on_commit(partial(polls.end_sessions, player.pk))
        player.delete()
        _event(game, "player_deleted", actor, name=name)


# --- Missions -------------------------------------------------------------------------------------


def mission_add(*, game: Game, text: str, actor: str, active: bool = True) -> Mission:
    """Put a new mission in the game's pool (or beside it, not `active`)."""
    with _locked_game(game.pk) as game:
        validators.check_mission_text(text)
        mission = Mission(game=game, text=text, active=active)
        _save(mission)
        _event(game, "mission_added", actor, mission=mission.pk, text=text, active=active)
        return mission


def mission_update(
    *, mission: Mission, actor: str, text: str | None = None, active: bool | None = None
) -> Mission:
    """Reword a mission, or take it out of the pool or put it back (those given). Players who hold it
    see the new text; kills already made keep the old one. Out of the pool, it is dealt to nobody new."""
    with _locked_game(mission.game_id) as game:
        mission = Mission.objects.get(pk=mission.pk)
        if text is not None:
            validators.check_mission_text(text)
        if changes := _save_changes(mission, text=text, active=active):
            _event(game, "mission_updated", actor, mission=mission.pk, changes=changes)
        return mission


def mission_delete(*, mission: Mission, actor: str) -> None:
    """Delete a mission of a game that is not under way (in a live one, take it out of the pool)."""
    with _locked_game(mission.game_id) as game:
        if game.is_live:
            raise RuleError(_("The game is under way: take the mission out of the pool instead."))
        mission = Mission.objects.get(pk=mission.pk)
        _touched(*_holders(mission))  # they hold no mission any more
        mission.delete()
        _event(game, "mission_deleted", actor, text=mission.text)


# --- Internals: the locked block, and whose pages a change touches --------------------------------


class _Change:
    """What a rule changed, gathered as it runs: whether anything did, whose own page, and the notices
    it recorded to tell some of those players why."""

    def __init__(self, game_id):
        self.game_id = game_id
        self.changed = False
        self.everyone = False
        self.players = set()
        self.notices = []


_change: ContextVar[_Change] = ContextVar("rules_change")


@contextmanager
def _locked_game(game_id):
    """The game's row, locked until the transaction ends; what the rule changed is stamped once, as
    the block ends without an error."""
    with transaction.atomic():
        game = Game.objects.select_for_update().get(pk=game_id)
        change = _Change(game_id)
        token = _change.set(change)
        try:
            yield game
            if change.notices:
                notices_recorded.send(sender=Game, game=game, notices=change.notices)
            _stamp(change)
        finally:
            _change.reset(token)


def _stamp(change):
    """Move the game's version by one and give it to the players whose page changed: a player's
    version is the game's version when their page last changed, so a process finds whose pages
    changed since the game's version it knows in one query (game/polls.py)."""
    if not change.changed:
        return
    Game.objects.filter(pk=change.game_id).update(version=F("version") + 1)
    players = Player.objects.filter(game_id=change.game_id)
    if not change.everyone:
        players = players.filter(pk__in=change.players)
    if change.everyone or change.players:
        players.update(version=Subquery(Game.objects.filter(pk=change.game_id).values("version")))
    # After the commit: forgotten earlier, a poll could cache the old version again meanwhile.
    transaction.on_commit(partial(polls.forget_game, change.game_id))


def _save(obj, *fields):
    """Save `obj` (only `fields`, when given) and note whose pages show what changed."""
    obj.save(update_fields=fields or None)
    if isinstance(obj, Game):
        _touched(everyone=True)
    elif isinstance(obj, Kill):
        _touched(obj.killer_id, obj.victim_id)  # both see the kill on their page
    elif isinstance(obj, Player):
        _touched(obj)
        if {"name", "group"} & set(fields):
            _touched(*_seen_by(obj))
    elif isinstance(obj, Mission) and "text" in fields:
        _touched(*_holders(obj))
    else:
        _touched()


def _touched(*players, everyone=False):
    """Players (or ids; None is skipped) whose own page the rule changes, or everyone's. With neither,
    only the game's version moves, as when a player is deleted: the leaderboard changes."""
    change = _change.get()
    change.changed = True
    change.everyone |= everyone
    change.players.update(getattr(player, "pk", player) for player in players if player is not None)


def _notify(player_id, kind, kill):
    """Tell the player why their page changed: a Notice, whose text is written when they read it."""
    change = _change.get()
    notice = Notice.objects.create(game_id=change.game_id, player_id=player_id, kind=kind, kill=kill)
    change.notices.append(notice)
    _touched(player_id)


def _seen_by(player):
    """Whose page shows `player`'s name and group: their hunter's, the other side's of an open kill on
    or by them, the readers of notices about a kill by or on them, and everyone's once they won."""
    if Game.objects.filter(pk=player.game_id, winner=player).exists():
        return Player.objects.filter(game_id=player.game_id).values_list("pk", flat=True)
    open_kills = Kill.objects.open().filter(Q(killer=player) | Q(victim=player))
    return [
        *Player.objects.filter(target=player).values_list("pk", flat=True),
        *(pk for kill in open_kills for pk in (kill.killer_id, kill.victim_id)),
        *Notice.objects.filter(Q(kill__killer=player) | Q(kill__victim=player)).values_list(
            "player_id", flat=True
        ),
    ]


def _holders(mission):
    return Player.objects.filter(mission=mission).values_list("pk", flat=True)


def _event(game, kind, actor, *, player=None, **data):
    Event.objects.create(
        game=game, kind=kind, actor=actor, player=player, data=data, request_id=audit.request_id.get()
    )
    _touched()


# --- Internals: checks and lookups ----------------------------------------------------------------


def _require_running(game):
    if game.status == Game.Status.PAUSED:
        raise RuleError(_("The game is paused: no kills can be reported for now."))
    if game.status != Game.Status.RUNNING:
        raise RuleError(_("The game is not running."))


def _require_live(game):
    if not game.is_live:
        raise RuleError(_("The game is not running."))


def _require_not_erased(game):
    if game.personal_data_erased_at is not None:
        raise RuleError(_("This game's personal data has been erased: its players can no longer be changed."))


def _alive_player(pk):
    player = Player.objects.get(pk=pk)
    if not player.alive:
        raise RuleError(_("%(player)s is out of the game.") % {"player": player})
    return player


def _target(player):
    if player.target_id is None:  # an alive player in a running game always has one
        raise RuleError(_("This kill no longer matches the chain."))
    return Player.objects.get(pk=player.target_id)


def _hunter(player):
    return Player.objects.get(target=player, alive=True)


def _mission_text(player):
    return player.mission.text if player.mission_id else ""


def _save_changes(obj, **wanted):
    """Set and save the fields of `obj` given (not None) that differ; {field: [old, new]} for the Event."""
    changes = {
        field: [getattr(obj, field), value]
        for field, value in wanted.items()
        if value is not None and value != getattr(obj, field)
    }
    for field, (_old, new) in changes.items():
        setattr(obj, field, new)
    if changes:
        _save(obj, *changes)
    return changes


# --- Internals: erasing personal data -----------------------------------------------------------


def _erased_actor(actor, players):
    """A player's actor (`actor_for_player`) under their new name; a deleted player's keeps only the
    id. Game masters and the sync stay as they are: staff act under their own account."""
    match = re.fullmatch(r"player:.* \(#(\d+)\)", actor, flags=re.DOTALL)
    if match is None:
        return actor
    player = players.get(int(match[1]))
    return actor_for_player(player) if player is not None else f"player:(#{match[1]})"


def _erased_data(event, players):
    """An event's data without the players' own values. Every kind of event whose data holds a name,
    an e-mail, a group or a reason typed by someone is listed here."""
    data = dict(event.data)
    if "reason" in data:
        data["reason"] = ""
    if event.kind == "player_deleted":
        data["name"] = ""
    elif event.kind == "player_updated":
        player = players.get(event.player_id)
        name = player.name if player is not None else ""
        data["changes"] = {field: [name, name] if field == "name" else ["", ""] for field in data["changes"]}
    return data


def _erase_admin_history(objects):
    """The admin's history of an object is titled with what it showed then (a player's name)."""
    titles: dict[tuple[int | None, str], str] = {
        (ContentType.objects.get_for_model(obj).pk, str(obj.pk)): str(obj)[:200] for obj in objects
    }
    candidates = LogEntry.objects.filter(
        content_type__in={content_type for content_type, _pk in titles},
        object_id__in={pk for _content_type, pk in titles},
    )
    # The filter also finds, say, the history of another game's kill that has a player's id here.
    entries = [entry for entry in candidates if (entry.content_type_id, entry.object_id) in titles]
    for entry in entries:
        entry.object_repr = titles[(entry.content_type_id, entry.object_id)]
    LogEntry.objects.bulk_update(entries, ["object_repr"], batch_size=500)


# --- Internals: the chain and kills ---------------------------------------------------------------


def _link_cycle(game, players):
    """Make each player hunt the next one, the last hunting the first."""
    # Targets are cleared first: the one_hunter_per_target constraint is checked row by row.
    Player.objects.filter(game=game).update(target=None)
    for i, player in enumerate(players):
        player.target = players[(i + 1) % len(players)]
    Player.objects.bulk_update(players, ["target", "mission"])
    _touched(*players)


def _forbidden(game):
    """`forbidden(hunter, target)`: 1 if the game would rather `hunter` did not hunt `target`, else 0."""
    pairs = {frozenset(pair) for pair in game.forbidden_pairs.values_list("a_id", "b_id")}
    same_group = game.avoid_same_group

    def forbidden(hunter, target):
        if same_group and _group_key(hunter) and _group_key(hunter) == _group_key(target):
            return 1
        return int(frozenset((hunter.pk, target.pk)) in pairs)

    return forbidden


def _draw_cycle(game, players):
    """A random order of `players` (each hunts the next, the last the first) and how many of its links
    the game forbids. A random order (groups spread out when the game asks), then random swaps that
    never add a forbidden link, until none is left or the budget is spent: best effort when the
    constraints cannot all hold."""
    if game.avoid_same_group:
        players = _spread_groups(players)
    else:
        rng.shuffle(players)
    forbidden = _forbidden(game)
    n = len(players)
    if n < 3:
        return players, sum(forbidden(players[i], players[(i + 1) % n]) for i in range(n))

    def cost(i):  # the link from position i to the next one
        return forbidden(players[i % n], players[(i + 1) % n])

    bad = _IndexSet(i for i in range(n) if cost(i))
    deadline = time.monotonic() + DRAW_SECONDS
    for attempt in range(DRAW_SWAPS_PER_PLAYER * n):
        if not bad or (attempt % 1000 == 0 and time.monotonic() > deadline):
            break
        # Move the player at the end of a forbidden link; half the time to the end of another one,
        # which mends two links at once when two groups crowd each other.
        i = (bad.choice() + 1) % n
        j = (bad.choice() + 1) % n if rng.random() < 0.5 else rng.randrange(n)
        links = {(i - 1) % n, i, (j - 1) % n, j}
        before = sum(cost(k) for k in links)
        players[i], players[j] = players[j], players[i]
        if sum(cost(k) for k in links) > before:
            players[i], players[j] = players[j], players[i]
            continue
        for k in links:
            if cost(k):
                bad.add(k)
            else:
                bad.discard(k)
    return players, len(bad)


def _group_key(player):
    return namesake_key("", player.group)[1]


def _spread_groups(players):
    """A random order in which, as far as the group sizes allow, nobody comes right after someone of
    their own group: each step takes a random player outside the previous one's group, from the
    largest group when it would no longer fit otherwise."""
    groups: dict[str, list[Player]] = {}
    for player in players:
        groups.setdefault(_group_key(player), []).append(player)
    for members in groups.values():
        rng.shuffle(members)
    order: list[Player] = []
    previous = None
    while len(order) < len(players):
        left = {key: members for key, members in groups.items() if members}
        candidates = [key for key in left if key != previous or not key] or list(left)
        largest = max((key for key in candidates if key), key=lambda key: len(left[key]), default="")
        if largest and 2 * len(left[largest]) >= len(players) - len(order):
            key = largest
        else:
            key = rng.choices(candidates, weights=[len(left[key]) for key in candidates])[0]
        order.append(groups[key].pop())
        previous = key
    return order


class _IndexSet:
    """A set of ints with a random pick in constant time (a list, and each value's place in it)."""

    def __init__(self, values):
        self.values = list(values)
        self.places = {value: place for place, value in enumerate(self.values)}

    def __len__(self):
        return len(self.values)

    def choice(self):
        return rng.choice(self.values)

    def add(self, value):
        if value not in self.places:
            self.places[value] = len(self.values)
            self.values.append(value)

    def discard(self, value):
        place = self.places.pop(value, None)
        if place is not None:
            last = self.values.pop()
            if place < len(self.values):
                self.values[place] = last
                self.places[last] = place


def _deal(pool, count):
    """`count` missions from the pool, each used once before any is used twice."""
    dealt: list[Mission] = []
    while len(dealt) < count:
        batch = list(pool)
        rng.shuffle(batch)
        dealt.extend(batch)
    return dealt[:count]


def _draw_mission(game, exclude=None):
    """One of the pool's missions held by the fewest living players."""
    pool = list(game.missions.filter(active=True)) or list(game.missions.all())
    if not pool:
        raise RuleError(_("The mission pool is empty: add a mission first."))
    if exclude is not None and len(pool) > 1:
        pool = [m for m in pool if m.pk != exclude]
    held = Counter(game.players.alive().values_list("mission_id", flat=True))
    fewest = min(held[m.pk] for m in pool)
    return rng.choice([m for m in pool if held[m.pk] == fewest])


def _insert(game, player, *, after, actor):
    """Put an alive player without a target into the cycle, right after `after`; if None, at a random
    place among those that break the fewest of the game's constraints. Returns how many links it
    makes that the game forbids."""
    forbidden = _forbidden(game)
    others = list(game.players.alive().exclude(pk=player.pk))
    targets = {other.pk: other for other in others}
    places = {
        other: forbidden(other, player)
        + (forbidden(player, targets[other.target_id]) if other.target_id in targets else 0)
        for other in others
    }
    if after is None:
        broken = min(places.values())
        after = rng.choice([other for other, cost in places.items() if cost == broken])
    else:
        broken = places[after]
    target_id = after.target_id
    after.target = None
    _save(after, "target")
    player.target_id = target_id
    player.mission = _draw_mission(game)
    _save(player, "target", "mission")
    after.target = player
    _save(after, "target")
    _cancel_stale_kills(game, actor)
    return broken


def _claim(game, killer, victim, method, actor):
    """The open kill of `killer` on `victim` if there is one, else a new one by `method`."""
    kill = Kill.objects.open().filter(victim=victim).first()
    if kill is not None and kill.killer_id == killer.pk:
        return kill
    if kill is not None:
        _close(kill, Kill.Status.CANCELLED, actor, "Another report came first.")
    return Kill(game=game, killer=killer, victim=victim, mission_text=_mission_text(killer), method=method)


def _confirm(game, kill, actor):
    killer = Player.objects.get(pk=kill.killer_id)
    victim = Player.objects.get(pk=kill.victim_id)
    # Stale claims are cancelled whenever the chain changes, so this only guards against a bug.
    if not killer.alive or not victim.alive or killer.target_id != victim.pk:
        raise RuleError(_("This kill no longer matches the chain."))
    kill.victim_target_before_id = victim.target_id
    kill.victim_mission_before_id = victim.mission_id
    kill.killer_mission_before_id = killer.mission_id
    _close(kill, Kill.Status.CONFIRMED, actor, kill.reason)

    next_target = victim.target_id
    victim.alive = False
    victim.target = None
    victim.mission = None
    victim.eliminated_at = kill.resolved_at
    _save(victim, "alive", "target", "mission", "eliminated_at")

    killer.kill_count += 1
    killer.target_id = None if next_target == killer.pk else next_target
    if game.killer_inherits_mission and kill.victim_mission_before_id:
        killer.mission_id = kill.victim_mission_before_id
    elif killer.target_id is not None:
        killer.mission = _draw_mission(game, exclude=killer.mission_id)
    _save(killer, "kill_count", "target", "mission")

    _notify(killer.pk, Notice.Kind.CLAIM_CONFIRMED, kill)
    _notify(victim.pk, Notice.Kind.ELIMINATED, kill)
    if killer.target_id is not None:
        _notify(killer.pk, Notice.Kind.NEW_TARGET, kill)

    _cancel_stale_kills(game, actor)
    _event(game, "kill_confirmed", actor, player=victim, kill=kill.pk, killer=killer.pk, method=kill.method)
    _finish_if_won(game, actor, kill=kill.pk)


def _due_claims(game, now):
    """The declared kills of a running game still pending at `now` past its claim timeout, oldest first.
    A paused game's clock stands still: what fell due meanwhile is settled once it runs again."""
    if game.status != Game.Status.RUNNING or not game.claim_timeout_minutes:
        return Kill.objects.none()
    due = now - timedelta(minutes=game.claim_timeout_minutes)
    return Kill.objects.filter(game=game, status=Kill.Status.PENDING, created_at__lte=due).order_by(
        "created_at", "pk"
    )


def _close(kill, status, actor, reason):
    kill.status = status
    kill.reason = reason
    kill.resolved_at = timezone.now()
    kill.resolved_by = actor
    _save(kill)


def _cancel_stale_kills(game, actor):
    """Open kills whose killer died or no longer hunts the victim can never be confirmed."""
    for kill in Kill.objects.open().filter(game=game).select_related("killer"):
        if not kill.killer.alive or kill.killer.target_id != kill.victim_id:
            _close(kill, Kill.Status.CANCELLED, actor, "The chain changed before it was confirmed.")


def _undo_kill(game, kill, actor, reason):
    """The victim of a confirmed kill back where they were in the chain, the killer as before it."""
    if kill.status != Kill.Status.CONFIRMED:
        raise RuleError(_("Only a confirmed kill can be undone."))
    killer = Player.objects.get(pk=kill.killer_id)
    victim = Player.objects.get(pk=kill.victim_id)
    before = kill.victim_target_before_id
    if victim.alive or not killer.alive or before is None or not _still_linked(killer, before):
        raise RuleError(
            _(
                "Later changes to the chain prevent undoing this kill: %(killer)s no longer "
                "hunts the player %(victim)s hunted. Revive %(victim)s instead."
            )
            % {"killer": killer, "victim": victim}
        )
    _put_back(game, victim, hunter=killer, target_id=before, mission_id=kill.victim_mission_before_id)
    killer.mission_id = kill.killer_mission_before_id or killer.mission_id
    killer.kill_count = F("kill_count") - 1
    _save(killer, "mission", "kill_count")
    _close(kill, Kill.Status.CANCELLED, actor, reason)
    _cancel_stale_kills(game, actor)
    _event(game, "kill_undone", actor, player=victim, kill=kill.pk, reason=reason)
    _notify(killer.pk, Notice.Kind.CLAIM_UNDONE, kill)
    return kill


def _undo_drop_out(game, player, actor):
    """A player who dropped out of a live game back where they were in the chain, with their mission."""
    data = game.events.filter(kind="player_dropped_out", player=player).latest("pk").data
    hunter = Player.objects.get(pk=data["hunter"])
    if player.alive or not hunter.alive or not _still_linked(hunter, data["target"]):
        raise RuleError(_("Later changes to the chain prevent putting %(player)s back.") % {"player": player})
    _put_back(game, player, hunter=hunter, target_id=data["target"], mission_id=data["mission"])
    _cancel_stale_kills(game, actor)
    _event(game, "drop_out_undone", actor, player=player)


def _still_linked(hunter, target_id):
    """Whether `hunter` still hunts whom the player taken out between them hunted: in a final duel
    that was the hunter themselves, who was left with no target at all."""
    return hunter.target_id == (None if target_id == hunter.pk else target_id)


def _put_back(game, player, *, hunter, target_id, mission_id):
    """Put a player who is out back into the chain between `hunter` and `target_id`, as they were."""
    hunter.target = None
    _save(hunter, "target")
    player.alive = True
    player.dropped_out = False
    player.eliminated_at = None
    player.target_id = target_id
    player.mission_id = mission_id or _draw_mission(game).pk
    _save(player, "alive", "dropped_out", "eliminated_at", "target", "mission")
    hunter.target = player
    _save(hunter, "target")


def _unfinish(game, status):
    game.status = status
    game.winner = None
    game.finished_at = None
    _save(game, "status", "winner", "finished_at")


def _finish_if_won(game, actor, **cause):
    """Finish a game left with one player alive; `cause` names the kill or drop-out that did it, for
    game_reopen."""
    if not game.is_live:
        return
    alive = list(game.players.alive()[:2])
    if len(alive) == 1:
        _finish(game, actor, winner=alive[0], **cause)


def _finish(game, actor, *, winner, **cause):
    # The chain and status it ends with, in its event, are what game_reopen puts back.
    chain = [player.pk for player in chain_order(game.players.alive())]
    status = game.status
    game.status = Game.Status.FINISHED
    game.winner = winner
    game.finished_at = timezone.now()
    _save(game, "status", "winner", "finished_at")
    Player.objects.filter(game=game).update(target=None)
    for kill in Kill.objects.open().filter(game=game):
        _close(kill, Kill.Status.CANCELLED, actor, "The game ended.")
    _event(game, "game_finished", actor, player=winner, chain=chain, status=status, **cause)
