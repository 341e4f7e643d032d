"""Random games: whatever sequence of operations players and game masters throw at a game, the
alive players of a running game form exactly one cycle and every one of them has a mission, and
a player's page never changes without its ETag (Player.version) changing too, and a process that
follows the game's version knows every player's ETag from the stamps alone."""

import contextlib
import os
import random
from collections import Counter
from datetime import timedelta

from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from game import polls, rules, visible
from game.models import Game, Kill, Mission, Player
from tests.conftest import make_game

EXAMPLES = int(os.environ.get("KILLER_STATEFUL_EXAMPLES", 50))


class GameMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Hypothesis replays examples to shrink them: the rules' shuffles must replay too.
        rules.rng = random.Random(0)
        # With a claim timeout from the start, so that time passing settles claims in most examples;
        # groups and a forbidden pair: the draws and insertions work around them.
        self.game = make_game(players=6, missions=4, claim_timeout_minutes=60, avoid_same_group=True)
        players = list(self.game.players.all())
        for i, player in enumerate(players):
            player.group = "AB"[i % 2] if i < 4 else ""
        Player.objects.bulk_update(players, ["group"])
        rules.forbidden_pair_add(game=self.game, a=players[0], b=players[5], actor="gm")
        rules.game_start(game=self.game, actor="test")
        self.pages = {}  # player id -> {ETag: page} for every ETag they had

    def pick(self, data, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        return Player.objects.get(pk=data.draw(st.sampled_from(pks))) if pks else None

    def attempt(self, operation):
        # Refusing is fine; the invariants must hold either way.
        with contextlib.suppress(rules.RuleError):
            operation()

    @rule(data=st.data())
    def declare(self, data):
        player = self.pick(data, self.game.players.alive())
        if player:
            self.attempt(lambda: rules.kill_declare(killer=player, actor="k"))

    @rule(data=st.data(), deny=st.booleans())
    def answer(self, data, deny):
        kills = list(Kill.objects.open().filter(game=self.game))
        if kills:
            kill = data.draw(st.sampled_from(kills))
            answer = rules.kill_deny if deny else rules.kill_confirm
            self.attempt(lambda: answer(kill=kill, actor="v"))

    @rule(data=st.data())
    def death_code(self, data):
        player = self.pick(data, self.game.players.alive())
        victim = self.pick(data, self.game.players.all())
        if player and victim:
            self.attempt(
                lambda: rules.kill_with_death_code(killer=player, death_code=victim.death_code, actor="k")
            )

    @rule(data=st.data())
    def self_report(self, data):
        player = self.pick(data, self.game.players.alive())
        if player:
            self.attempt(lambda: rules.death_report(victim=player, actor="v"))

    @rule(data=st.data())
    def drop_out(self, data):
        player = self.pick(data, self.game.players.alive())
        if player:
            self.attempt(lambda: rules.player_drop_out(player=player, actor="gm"))

    @rule(group=st.sampled_from(["", "A", "B"]))
    def join(self, group):
        self.attempt(lambda: rules.player_join(game=self.game, name="Late", group=group, actor="gm"))

    @rule(data=st.data())
    def forbid(self, data):
        a, b = self.pick(data, self.game.players.all()), self.pick(data, self.game.players.all())
        self.attempt(lambda: rules.forbidden_pair_add(game=self.game, a=a, b=b, actor="gm"))

    @rule(data=st.data(), random_place=st.booleans())
    def revive(self, data, random_place):
        player = self.pick(data, self.game.players.filter(alive=False))
        after = None if random_place else self.pick(data, self.game.players.alive())
        if player:
            self.attempt(lambda: rules.player_revive(player=player, after=after, actor="gm"))

    @rule(data=st.data())
    def undo(self, data):
        kills = list(Kill.objects.confirmed().filter(game=self.game))
        if kills:
            kill = data.draw(st.sampled_from(kills))
            self.attempt(lambda: rules.kill_undo(kill=kill, actor="gm"))

    @rule(data=st.data())
    def game_master(self, data):
        actions = [rules.game_reshuffle, rules.game_pause, rules.game_resume, rules.game_reopen]
        action = data.draw(st.sampled_from(actions))
        self.attempt(lambda: action(game=self.game, actor="gm"))

    @rule(data=st.data(), name=st.sampled_from(["Alex", "Sam"]), group=st.sampled_from(["", "B"]))
    def rename(self, data, name, group):
        player = self.pick(data, self.game.players.all())
        self.attempt(lambda: rules.player_update(player=player, actor="gm", name=name, group=group))

    @rule(data=st.data(), text=st.sampled_from(["Hold my cup", "Say banana"]))
    def reword(self, data, text):
        mission = data.draw(st.sampled_from(list(Mission.objects.filter(game=self.game))))
        self.attempt(lambda: rules.mission_update(mission=mission, text=text, actor="gm"))

    @rule(data=st.data())
    def new_codes(self, data):
        player = self.pick(data, self.game.players.all())
        self.attempt(lambda: rules.player_new_codes(player=player, actor="gm", login=False))

    @rule(
        mode=st.sampled_from(Game.ConfirmationMode.values),
        timeout=st.sampled_from([0, 1, 60]),
        action=st.sampled_from(Game.ClaimTimeoutAction.values),
        avoid_same_group=st.booleans(),
    )
    def options(self, mode, timeout, action, avoid_same_group):
        self.attempt(
            lambda: rules.game_set_options(
                game=self.game,
                actor="gm",
                confirmation_mode=mode,
                feed_names_killers=True,
                killer_inherits_mission=False,
                claim_timeout_minutes=timeout,
                claim_timeout_action=action,
                avoid_same_group=avoid_same_group,
            )
        )

    @rule(minutes=st.sampled_from([0, 90, 24 * 60]))
    def time_passes(self, minutes):
        # The clock's tick, that many minutes from now: claim timeouts fall due.
        later = timezone.now() + timedelta(minutes=minutes)
        self.attempt(lambda: rules.clock_tick(game=Game.objects.get(pk=self.game.pk), now=later))

    @invariant()
    def a_page_changes_only_with_its_etag(self):
        for player in Player.objects.filter(game=self.game).select_related("game", "target", "mission"):
            tag, page = polls.me_etag(player), visible.me(player)
            seen = self.pages.setdefault(player.pk, {})
            # Under any ETag it ever had: a phone asleep since then would get a 304.
            assert seen.setdefault(tag, page) == page, f"{player}'s page changed under an ETag it had"

    @invariant()
    def a_process_following_the_game_knows_every_etag(self):
        # This process's map of player versions lives on from step to step, brought up to date from
        # the stamps each time the game's version moves (a commit forgets it: tests roll back).
        polls.forget_game(self.game.pk)
        for player in Player.objects.filter(game=self.game).select_related("game"):
            assert polls.session_etag("me", player.pk, self.game.pk) == polls.me_etag(player)

    @invariant()
    def chain_is_one_cycle(self):
        self.game.refresh_from_db()
        assert rules.chain_problems(self.game) == []
        if self.game.status == Game.Status.FINISHED:
            assert self.game.players.alive().count() <= 1
        else:
            assert self.game.players.alive().count() >= 2

    @invariant()
    def nobody_dies_twice_without_a_revival(self):
        assert not self.game.players.filter(alive=True, eliminated_at__isnull=False).exists()
        open_kills = Kill.objects.open().filter(game=self.game).select_related("killer", "victim")
        for kill in open_kills:
            assert kill.killer.alive and kill.victim.alive
            assert kill.killer.target_id == kill.victim_id

    @invariant()
    def kill_counts_match_confirmed_kills(self):
        confirmed = Counter(Kill.objects.confirmed().filter(game=self.game).values_list("killer", flat=True))
        for pk, kill_count in self.game.players.values_list("pk", "kill_count"):
            assert kill_count == confirmed[pk]


class TestRandomGames(TestCase):
    def tearDown(self):
        rules.rng = random.SystemRandom()

    def test_the_chain_survives_any_sequence_of_operations(self):
        # Each example plays in a game of its own, so examples need no cleanup between them.
        run_state_machine_as_test(
            GameMachine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
