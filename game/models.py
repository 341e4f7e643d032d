"""What a Killer game is made of. The rules that change it live in game/rules.py, nowhere else."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from game import codes
from game.validators import validate_plain_text


class Game(models.Model):
    class Status(models.TextChoices):
        SETUP = "setup", _("Not started")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        FINISHED = "finished", _("Finished")

    class ClaimTimeoutAction(models.TextChoices):
        CONFIRM = "confirm", _("The kill counts")
        ESCALATE = "escalate", _("The kill goes to the game masters")

    class ConfirmationMode(models.TextChoices):
        VICTIM = "victim", _("The victim confirms declared kills")
        AUTOMATIC = "automatic", _("Declared kills count at once")
        CODE_ONLY = "code_only", _("No declarations: death codes and self-reports only")

    name = models.CharField(_("name"), max_length=100, validators=[validate_plain_text])
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.SETUP)
    confirmation_mode = models.CharField(
        _("confirmation mode"),
        max_length=10,
        choices=ConfirmationMode,
        default=ConfirmationMode.VICTIM,
    )
    feed_names_killers = models.BooleanField(
        _("kill feed names the killers"),
        default=True,
        help_text=_(
            "Otherwise the feed names only the victims, and until the game ends the leaderboard shows "
            "no kills, only who is alive and who is out, by name. Each player still sees their own kills."
        ),
    )
    killer_inherits_mission = models.BooleanField(
        _("killer inherits the victim's mission"),
        default=True,
        help_text=_("Otherwise the killer draws a new mission from the pool."),
    )
    # Applied by the clock (manage.py game_clock, rules.clock_tick) to the kills the victim leaves pending.
    claim_timeout_minutes = models.PositiveIntegerField(
        _("claim timeout (minutes)"),
        default=0,
        help_text=_("A declared kill the victim has not answered after this long is settled. 0: never."),
    )
    claim_timeout_action = models.CharField(
        _("after the claim timeout"),
        max_length=10,
        choices=ClaimTimeoutAction,
        default=ClaimTimeoutAction.CONFIRM,
    )
    winner = models.ForeignKey(
        "Player",
        verbose_name=_("winner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Bumped by every rule that changes the game: player pages use it as their ETag.
    version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Set by rules.game_set_recap_public: who may open the finished game's recap page without logging in.
    recap_public = models.BooleanField(_("public recap"), default=False)
    # Set by rules.game_erase_personal_data: the rules that would change the players again refuse
    # such a game, and the sync no longer reads its sheet.
    personal_data_erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)
    # Fair draws: rules._draw_cycle and rules._insert keep these hunts out when they can.
    avoid_same_group = models.BooleanField(
        _("avoid targets of the same group"),
        default=False,
        help_text=_(
            "Draws and late joins avoid giving a player a target of their own group, as far as the "
            "groups allow. The forbidden pairs below are always avoided as far as possible."
        ),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("game")
        verbose_name_plural = _("games")

    def __str__(self):
        return self.name

    @property
    def is_live(self):
        """Running or paused: the cycle exists."""
        return self.status in (self.Status.RUNNING, self.Status.PAUSED)


def namesake_key(name, group):
    """Players with the same key look alike to their hunters: the pages show a name and a group."""
    return " ".join(name.split()).casefold(), " ".join(group.split()).casefold()


class PlayerQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(alive=True)

    def namesakes(self, player):
        """The other players of `player`'s game whose name and group are `player`'s (namesake_key)."""
        key = namesake_key(player.name, player.group)
        others = self.filter(game_id=player.game_id).exclude(pk=player.pk)
        return [other for other in others if namesake_key(other.name, other.group) == key]

    def ranked(self):
        """Leaderboard order: most kills first, then whoever stayed in longest."""
        return self.order_by("-kill_count", "-alive", F("eliminated_at").desc(nulls_first=True), "name", "pk")


class Player(models.Model):
    game = models.ForeignKey(Game, verbose_name=_("game"), on_delete=models.CASCADE, related_name="players")
    name = models.CharField(_("name"), max_length=100, validators=[validate_plain_text])
    email = models.EmailField(_("email"), blank=True)
    group = models.CharField(_("group"), max_length=100, blank=True, validators=[validate_plain_text])
    login_code = models.CharField(_("login code"), max_length=32, unique=True, default=codes.new_login_code)
    death_code = models.CharField(_("death code"), max_length=32, unique=True, default=codes.new_death_code)
    alive = models.BooleanField(_("alive"), default=True)
    dropped_out = models.BooleanField(_("dropped out"), default=False)
    target = models.ForeignKey(
        "self",
        verbose_name=_("target"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mission = models.ForeignKey(
        "Mission",
        verbose_name=_("mission"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kill_count = models.PositiveIntegerField(_("kills"), default=0)
    eliminated_at = models.DateTimeField(_("eliminated at"), null=True, blank=True)
    # Set to the game's new version by every rule that changes what this player sees on their own
    # page (game/visible.py's `me`): the ETag of their polls, so that a kill elsewhere in the game
    # leaves them a 304, and a process finds the players stamped since a game version in one query.
    version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PlayerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("player")
        verbose_name_plural = _("players")
        constraints = [
            # The cycle: nobody is hunted by two players. The rules clear a target before they
            # hand it to someone else, and rely on this to catch any rule that forgets.
            models.UniqueConstraint(
                fields=["target"], condition=Q(target__isnull=False), name="one_hunter_per_target"
            ),
            models.CheckConstraint(condition=~Q(target=F("pk")), name="not_own_target"),
            # Only the living hunt.
            models.CheckConstraint(
                condition=Q(alive=True) | Q(target__isnull=True), name="dead_players_have_no_target"
            ),
        ]
        indexes = [models.Index(fields=["game", "alive"])]

    def __str__(self):
        return self.name


class Mission(models.Model):
    game = models.ForeignKey(Game, verbose_name=_("game"), on_delete=models.CASCADE, related_name="missions")
    text = models.CharField(_("text"), max_length=500, validators=[validate_plain_text])
    active = models.BooleanField(
        _("in the pool"), default=True, help_text=_("Only missions in the pool are drawn.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("mission")
        verbose_name_plural = _("missions")

    def __str__(self):
        return self.text


class KillQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=Kill.OPEN_STATUSES)

    def confirmed(self):
        return self.filter(status=Kill.Status.CONFIRMED)


class Kill(models.Model):
    class Method(models.TextChoices):
        DECLARED = "declared", _("Declared by the killer")
        SELF_REPORT = "self_report", _("Reported by the victim")
        DEATH_CODE = "death_code", _("Victim's death code")
        GAME_MASTER = "game_master", _("Forced by a game master")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the victim")
        CONFIRMED = "confirmed", _("Confirmed")
        DENIED = "denied", _("Disputed")
        CANCELLED = "cancelled", _("Cancelled")
        # Thrown out by a game master, with the reason the killer reads; cancelled is the game's doing
        # (it ended, the chain changed, another report came first, an undo).
        REJECTED = "rejected", _("Rejected")

    OPEN_STATUSES = (Status.PENDING, Status.DENIED)

    game = models.ForeignKey(Game, verbose_name=_("game"), on_delete=models.CASCADE, related_name="kills")
    killer = models.ForeignKey(
        Player, verbose_name=_("killer"), on_delete=models.CASCADE, related_name="kills_made"
    )
    victim = models.ForeignKey(
        Player, verbose_name=_("victim"), on_delete=models.CASCADE, related_name="kills_suffered"
    )
    mission_text = models.CharField(_("mission"), max_length=500, blank=True)
    method = models.CharField(_("reported by"), max_length=12, choices=Method)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.CharField(_("resolved by"), max_length=150, blank=True)
    # The chain as it was just before the kill was confirmed, so that a game master can undo it.
    victim_target_before = models.ForeignKey(
        Player, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    victim_mission_before = models.ForeignKey(
        Mission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    killer_mission_before = models.ForeignKey(
        Mission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = KillQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("kill")
        verbose_name_plural = _("kills")
        constraints = [
            # One open claim per victim: two hunters (or one hunter twice, from two phones)
            # cannot both have a kill waiting on the same victim.
            models.UniqueConstraint(
                fields=["victim"],
                condition=Q(status__in=["pending", "denied"]),
                name="one_open_kill_per_victim",
            ),
        ]

    def __str__(self):
        return f"{self.killer} → {self.victim} ({self.get_status_display()})"


class Event(models.Model):
    """Append-only log of every state change: who did what, when, with what data."""

    class Kind(models.TextChoices):
        GAME_STARTED = "game_started", _("Game started")
        GAME_PAUSED = "game_paused", _("Game paused")
        GAME_RESUMED = "game_resumed", _("Game resumed")
        GAME_FINISHED = "game_finished", _("Game finished")
        GAME_REOPENED = "game_reopened", _("Game reopened")
        GAME_IMPORTED = "game_imported", _("Game imported")
        GAME_RENAMED = "game_renamed", _("Game renamed")
        GAME_OPTIONS_CHANGED = "game_options_changed", _("Options changed")
        GAME_RESHUFFLED = "game_reshuffled", _("Targets reshuffled")
        CHAIN_REPAIRED = "chain_repaired", _("Chain repaired")
        PERSONAL_DATA_ERASED = "personal_data_erased", _("Personal data erased")
        RECAP_PUBLISHED = "recap_published", _("Recap made public")
        RECAP_HIDDEN = "recap_hidden", _("Recap made private")
        KILL_DECLARED = "kill_declared", _("Kill declared")
        KILL_CONFIRMED = "kill_confirmed", _("Kill confirmed")
        KILL_DENIED = "kill_denied", _("Kill denied by the victim")
        CLAIM_TIMED_OUT = "claim_timed_out", _("Kill unanswered in time")
        KILL_REJECTED = "kill_rejected", _("Kill rejected")
        KILL_UNDONE = "kill_undone", _("Kill undone")
        PLAYER_JOINED = "player_joined", _("Player joined")
        PLAYER_UPDATED = "player_updated", _("Player changed")
        PLAYER_DROPPED_OUT = "player_dropped_out", _("Player dropped out")
        DROP_OUT_UNDONE = "drop_out_undone", _("Drop-out undone")
        PLAYER_REVIVED = "player_revived", _("Player revived")
        PLAYER_DELETED = "player_deleted", _("Player deleted")
        CODES_REGENERATED = "codes_regenerated", _("New codes")
        MISSION_ADDED = "mission_added", _("Mission added")
        MISSION_UPDATED = "mission_updated", _("Mission changed")
        MISSION_DELETED = "mission_deleted", _("Mission deleted")

    game = models.ForeignKey(Game, verbose_name=_("game"), on_delete=models.CASCADE, related_name="events")
    # What the rules write (rules._event); the labels are what the admin's event log shows.
    kind = models.CharField(_("kind"), max_length=40, choices=Kind)
    actor = models.CharField(_("actor"), max_length=150)
    player = models.ForeignKey(
        Player,
        verbose_name=_("player"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    # The X-Request-ID of the request that made the change (game/audit.py), to find it in the logs.
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self):
        # No colon: French would want a space before it.
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor} · {self.get_kind_display()}"


class Notice(models.Model):
    """A line of one player's own timeline: why their page changed. Recorded by the rules (rules._notify)
    as a kind and the kill it is about; the text is written at reading time (game/notices.py), in the
    reader's language and with the names as they are then (erased ones too)."""

    class Kind(models.TextChoices):
        CLAIM_ON_YOU = "claim_on_you", _("A kill claimed on you")
        CLAIM_CONFIRMED = "claim_confirmed", _("Your kill confirmed")
        CLAIM_DENIED = "claim_denied", _("Your kill denied")
        CLAIM_REJECTED = "claim_rejected", _("Your kill rejected")
        CLAIM_UNDONE = "claim_undone", _("Your kill undone")
        ELIMINATED = "eliminated", _("You were eliminated")
        NEW_TARGET = "new_target", _("A new target")

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="notices")
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=40, choices=Kind)
    kill = models.ForeignKey(Kill, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["player", "-id"])]

    def __str__(self):
        return f"{self.player_id} · {self.kind}"


class RateLimitCounter(models.Model):
    """A count in one time window (game/ratelimit.py), when Redis does not hold them: failed guesses,
    and the Google Sheets sync's calls (sheets_sync/budget.py)."""

    key = models.CharField(max_length=100, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"


class SessionsEpoch(models.Model):
    """The sessions' epoch (game/polls.py): one row, a new token whenever a session ends anywhere. In
    the database, which every worker shares whatever the cache: a cache per process (locmem) would
    end a session in one worker only."""

    token = models.CharField(max_length=16)

    def __str__(self):
        return self.token


class ForbiddenPair(models.Model):
    """Two players who must not hunt each other, either way: draws avoid it as far as possible."""

    game = models.ForeignKey(
        Game, verbose_name=_("game"), on_delete=models.CASCADE, related_name="forbidden_pairs"
    )
    a = models.ForeignKey(Player, verbose_name=_("player"), on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey(Player, verbose_name=_("other player"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("forbidden pair")
        verbose_name_plural = _("forbidden pairs")

    def __str__(self):
        return f"{self.a} ≠ {self.b}"

    def clean(self):
        if self.a_id and self.a_id == self.b_id:
            raise ValidationError(_("A pair needs two different players."))
        players = [self.a if self.a_id else None, self.b if self.b_id else None]
        if any(player is not None and player.game_id != self.game_id for player in players):
            raise ValidationError(_("Both players must be in this game."))
