"""A game's Google Sheet: its key, the lease that keeps two syncs apart, and how the last sync went."""

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from game.models import Game


class GameSheet(models.Model):
    game = models.OneToOneField(Game, on_delete=models.CASCADE, related_name="sheet", verbose_name=_("game"))
    spreadsheet_key = models.CharField(
        _("spreadsheet key"),
        max_length=100,
        blank=True,
        help_text=_("The long id in the sheet's address: docs.google.com/spreadsheets/d/KEY/edit"),
    )
    publish_login_codes = models.BooleanField(
        _("publish login codes"),
        default=False,
        help_text=_(
            "Write each player's login code in the Players tab's code column, for a mail merge from the "
            "sheet. Anyone the sheet is shared with can then log in as any player: leave it off when "
            "people who play can open the sheet."
        ),
    )

    # Held by the run syncing this game. Taken and renewed by compare-and-set (see take_lease), so two
    # runs (a slow one and the next cron tick, or cron on two servers) never sync the same game at once.
    lease_owner = models.CharField(max_length=32, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The game masters' columns as the database held them after the last sync, by id. A sheet cell that
    # still holds this value was not edited, so a different value in the database is newer; a cell that
    # differs from it is a game master's edit.
    synced = models.JSONField(default=dict, blank=True, editable=False)

    # Our tabs' sheet ids, {title: id}, as the last run found them. With them a run reads the cells at
    # once; without them (the first run, after a failure or a tab added) it reads the tabs list first.
    tabs = models.JSONField(default=dict, blank=True, editable=False)

    # The game's version the last successful run brought the sheet to. A finished game whose sheet is at
    # its version is left alone: old games would otherwise use up Google's quota, run after run.
    synced_version = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    # Drive's modifiedTime of the spreadsheet as listed before the last successful run read it. While
    # Drive still says so and the game's version is synced_version, the sheet is not read again.
    sheet_modified_at = models.CharField(max_length=40, blank=True, editable=False)

    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_duration = models.FloatField(_("duration (s)"), null=True, blank=True)
    calls = models.PositiveIntegerField(_("calls to Google"), default=0)
    rows_created = models.PositiveIntegerField(_("rows created"), default=0)
    rows_updated = models.PositiveIntegerField(_("rows updated"), default=0)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    class Meta:
        verbose_name = _("Google Sheet")
        verbose_name_plural = _("Google Sheets")
        constraints = [
            # The sync matches rows to one game's ids: two games in one sheet would each take the
            # other's rows for unknown ids and append their own below them, every run.
            models.UniqueConstraint(
                fields=["spreadsheet_key"], condition=~Q(spreadsheet_key=""), name="one_game_per_spreadsheet"
            ),
        ]

    def __str__(self):
        return f"{self.game} → {self.spreadsheet_key or '-'}"

    @property
    def lease_state(self) -> str:
        """For the dashboard: "" (no run holds the game), "running", or "stale": a run stopped without
        releasing its lease (killed, or its server went down); the next run takes the game over."""
        if not self.lease_owner:
            return ""
        return "running" if self.lease_expires_at and self.lease_expires_at > timezone.now() else "stale"

    def take_lease(self, seconds: float) -> str | None:
        """A token if this run may sync the game now, None while another run holds an unexpired lease."""
        token = get_random_string(32)
        now = timezone.now()
        free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
        taken = GameSheet.objects.filter(free, pk=self.pk).update(
            lease_owner=token, lease_expires_at=now + timedelta(seconds=seconds)
        )
        return token if taken else None

    def renew_lease(self, token: str, seconds: float) -> bool:
        """False when the lease ran out and another run took it: this run must stop before writing."""
        expires = timezone.now() + timedelta(seconds=seconds)
        return GameSheet.objects.filter(pk=self.pk, lease_owner=token).update(lease_expires_at=expires) == 1

    def release_lease(self, token: str) -> None:
        GameSheet.objects.filter(pk=self.pk, lease_owner=token).update(lease_owner="", lease_expires_at=None)


def forget_personal_data(sender, *, game, **kwargs):
    """On rules.personal_data_erased: the cells of the last sync, and the messages that may quote them.
    The next run writes the erased values over the sheet's (sheets_sync.sync.plan_changes)."""
    GameSheet.objects.filter(game=game).update(synced={}, warnings=[], last_error="")
