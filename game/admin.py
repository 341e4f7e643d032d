"""The Django admin is the game masters' console.

Lists and forms are plain ModelAdmins. Nothing here changes a game by hand: whatever touches the
chain (targets, missions, who is alive, kill counts) is read-only in the forms and changes only
through game/rules.py, from the pages in game/admin_views.py (game/admin_roster.py imports players,
exports CSV files and prints login cards; game/admin_transfer.py exports and imports whole games).
What the forms do edit (a game's name, players, missions) is saved through the rules too: an Event,
and the pages that show it are told.
"""

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from game import admin_roster, admin_transfer, admin_views, rules
from game.models import Event, ForbiddenPair, Game, Kill, Mission, Player

# The game's name, in a context of its own: "Killer" is also the column of the player who killed.
admin.site.site_header = pgettext_lazy("site name", "Killer")
admin.site.site_title = pgettext_lazy("site name", "Killer")
admin.site.index_title = _("Killer administration")


class RulesAdmin(admin.ModelAdmin):
    """A form whose save a rule refuses (the game changed meanwhile) says why instead of failing; the
    admin's transaction undoes whatever the form had saved before."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except rules.RuleError as error:
            return self._refused(request, error, back_to=request.path if object_id else None)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except rules.RuleError as error:
            return self._refused(request, error)

    def _refused(self, request, error, back_to=None):
        messages.error(request, error.message)
        opts = self.model._meta
        return redirect(back_to or f"admin:{opts.app_label}_{opts.model_name}_changelist")


class MissionInline(admin.StackedInline):
    model = Mission
    fields = ["text", "active"]
    # Many at once, or a pack: the game's "Add missions" page.
    extra = 1

    def has_delete_permission(self, request, obj=None):
        # A deleted mission leaves its holders without one; in a live game, take it out of the pool.
        if obj is not None and obj.is_live:
            return False
        return super().has_delete_permission(request, obj)


class ForbiddenPairInline(admin.TabularInline):
    model = ForbiddenPair
    fields = ["a", "b"]
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only this game's players; the page's object id is the game's.
        game_id = request.resolver_match.kwargs.get("object_id")
        kwargs["queryset"] = Player.objects.filter(game_id=game_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Game)
class GameAdmin(RulesAdmin):
    list_display = [
        "name",
        "status",
        "alive_count",
        "player_count",
        "open_kill_count",
        "started_at",
        "dashboard_link",
    ]
    list_filter = ["status"]
    search_fields = ["name"]
    fields = [
        "name",
        "status",
        "confirmation_mode",
        "feed_names_killers",
        "killer_inherits_mission",
        "claim_timeout_minutes",
        "claim_timeout_action",
        "avoid_same_group",
        "winner",
        "started_at",
        "finished_at",
        "recap_public",
        "personal_data_erased_at",
    ]
    inlines = [MissionInline, ForbiddenPairInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return [
                "status",
                "winner",
                "started_at",
                "finished_at",
                "recap_public",
                "personal_data_erased_at",
            ]
        # Options change on the options page, which logs the change.
        return [name for name in self.fields if name != "name"]

    def get_queryset(self, request):
        open_kills = (
            Kill.objects.open()
            .filter(game=OuterRef("pk"))
            .order_by()
            .values("game")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                player_total=Count("players"),
                players_alive=Count("players", filter=Q(players__alive=True)),
                open_kills=Coalesce(Subquery(open_kills), 0),
            )
        )

    @admin.display(description=_("alive"), ordering="players_alive")
    def alive_count(self, game):
        return game.players_alive

    @admin.display(description=_("players"), ordering="player_total")
    def player_count(self, game):
        return game.player_total

    @admin.display(description=_("kills waiting"), ordering="open_kills")
    def open_kill_count(self, game):
        return game.open_kills

    def save_model(self, request, obj, form, change):
        if change:
            # Only the name, through the rules: a full save would write back a status or version a
            # rule changed meanwhile.
            rules.game_rename(game=obj, name=obj.name, actor=rules.actor_for_user(request.user))
        else:
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        """The missions and forbidden pairs of the inlines, through the rules."""
        actor = rules.actor_for_user(request.user)
        formset.save(commit=False)
        if formset.model is ForbiddenPair:
            # A changed pair is the old one removed and the new one added.
            for pair in [*formset.deleted_objects, *(pair for pair, _fields in formset.changed_objects)]:
                rules.forbidden_pair_delete(pair=ForbiddenPair.objects.get(pk=pair.pk), actor=actor)
            for pair in [*formset.new_objects, *(pair for pair, _fields in formset.changed_objects)]:
                rules.forbidden_pair_add(game=form.instance, a=pair.a, b=pair.b, actor=actor)
            return
        for mission in formset.deleted_objects:
            rules.mission_delete(mission=mission, actor=actor)
        for mission in formset.new_objects:
            rules.mission_add(game=form.instance, text=mission.text, active=mission.active, actor=actor)
        for mission, _fields in formset.changed_objects:
            rules.mission_update(mission=mission, text=mission.text, active=mission.active, actor=actor)

    def has_delete_permission(self, request, obj=None):
        # A finished game, with its event log (rules.game_delete): the school's call, so a superuser's.
        if not request.user.is_superuser:
            return False
        return obj is None or obj.status == Game.Status.FINISHED

    def get_deleted_objects(self, objs, request):
        """Kills and events cannot be deleted one by one (their admins refuse); with their game they go."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed - {Kill._meta.verbose_name, Event._meta.verbose_name}, protected

    def delete_model(self, request, obj):
        rules.game_delete(game=obj, actor=rules.actor_for_user(request.user))

    def get_actions(self, request):
        # Bulk delete checks no game's status; one at a time, has_delete_permission does.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("dashboard"))
    def dashboard_link(self, game):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:game_game_dashboard", args=[game.pk]), _("Dashboard")
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/dashboard/", view(admin_views.game_dashboard), name="game_game_dashboard"),
            path("<int:pk>/chain/", view(admin_views.game_chain), name="game_game_chain"),
            path("<int:pk>/options/", view(admin_views.game_options), name="game_game_options"),
            path("<int:pk>/do/<slug:action>/", view(admin_views.game_action), name="game_game_action"),
            path("<int:pk>/erase/", view(admin_views.game_erase), name="game_game_erase"),
            path("<int:pk>/import/", view(admin_roster.game_import), name="game_game_import"),
            path("<int:pk>/missions/", view(admin_roster.game_missions), name="game_game_missions"),
            path("<int:pk>/cards/", view(admin_roster.game_cards), name="game_game_cards"),
            path(
                "<int:pk>/export/players.csv",
                view(admin_roster.game_export_players),
                name="game_game_export_players",
            ),
            path(
                "<int:pk>/export/kills.csv",
                view(admin_roster.game_export_kills),
                name="game_game_export_kills",
            ),
            path(
                "<int:pk>/export/game.json",
                view(admin_transfer.game_export_json),
                name="game_game_export_json",
            ),
            path("import-game/", view(admin_transfer.game_import_file), name="game_game_import_game"),
        ] + super().get_urls()

    def response_add(self, request, obj, post_url_continue=None):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return redirect("admin:game_game_dashboard", pk=obj.pk)


class GroupFilter(admin.AllValuesFieldListFilter):
    """A player without a group has "" rather than NULL, which the admin lists as a link with no text."""

    def choices(self, changelist):
        no_group = changelist.get_query_string({self.lookup_kwarg: ""}, [self.lookup_kwarg_isnull])
        for choice in super().choices(changelist):
            if choice["query_string"] == no_group:
                # With the counts shown, the display is " (n)".
                choice["display"] = _("No group") + choice["display"]
            yield choice


@admin.register(Player)
class PlayerAdmin(RulesAdmin):
    list_display = [
        "name",
        "game",
        "group",
        "email",
        "alive",
        "dropped_out",
        "kill_count",
        "target",
        "mission_text",
    ]
    list_filter = ["alive", "dropped_out", "game", ("group", GroupFilter)]
    search_fields = ["name", "email", "group"]
    list_select_related = ["game", "target", "mission"]
    list_per_page = 100
    actions = ["print_login_cards"]
    # What places a player in the chain changes only through the rules (the buttons above the form).
    chain_fields = ["alive", "dropped_out", "target", "mission", "kill_count", "eliminated_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["game", "name", "email", "group"]
        return ["game", "name", "email", "group", *self.chain_fields, "login_code", "death_code"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # Moving a player to another game would break both chains.
        return ["game", *self.chain_fields, "login_code", "death_code"]

    @admin.display(description=_("mission"), ordering="mission__text")
    def mission_text(self, player):
        return Truncator(player.mission.text).chars(60) if player.mission_id else ""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "game":
            kwargs["queryset"] = Game.objects.exclude(status=Game.Status.FINISHED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            # Through the rules: an Event, and the pages that show the name are told. (A full save
            # would also write back a target or version a rule changed meanwhile.)
            rules.player_update(
                player=obj,
                actor=rules.actor_for_user(request.user),
                name=obj.name,
                email=obj.email,
                group=obj.group,
            )
            self._warn_of_namesakes(request, obj)
            return
        # A new player in a live game must go into the cycle, so adding one is a rule.
        player = rules.player_join(
            game=obj.game,
            name=obj.name,
            email=obj.email,
            group=obj.group,
            actor=rules.actor_for_user(request.user),
        )
        # The admin goes on with `obj` (history entry, redirect): make it the player just created.
        obj.pk = player.pk
        obj._state.adding = False
        self._warn_of_namesakes(request, player)

    def _warn_of_namesakes(self, request, player):
        # Allowed, as real people share names; but the game master should tell them apart.
        if Player.objects.namesakes(player):
            messages.warning(
                request,
                _(
                    "Another player of this game is also called %(player)s, in the same group: their "
                    "hunters cannot tell them apart. Add an initial to the name or a group."
                )
                % {"player": player},
            )

    def delete_model(self, request, obj):
        rules.player_delete(player=obj, actor=rules.actor_for_user(request.user))

    def has_delete_permission(self, request, obj=None):
        # Deleting a player from a live game would leave their hunter without a target: drop them out.
        if obj is not None and obj.game.is_live:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Bulk delete checks no player's game; one at a time, has_delete_permission does.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Print login cards"), permissions=["view"])
    def print_login_cards(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return redirect(reverse("admin:game_player_cards") + f"?ids={ids}")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("cards/", view(admin_roster.player_cards), name="game_player_cards"),
            path("<int:pk>/revive/", view(admin_views.player_revive), name="game_player_revive"),
            path("<int:pk>/drop-out/", view(admin_views.player_drop_out), name="game_player_drop_out"),
            path("<int:pk>/new-codes/", view(admin_views.player_new_codes), name="game_player_new_codes"),
            path("<int:pk>/force-kill/", view(admin_views.player_force_kill), name="game_player_force_kill"),
        ] + super().get_urls()


@admin.register(Mission)
class MissionAdmin(RulesAdmin):
    list_display = ["text", "game", "active"]
    list_filter = ["active", "game"]
    search_fields = ["text"]
    list_select_related = ["game"]

    def get_readonly_fields(self, request, obj=None):
        # A mission moved to another game would stay with the players who hold it.
        return ["game"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        actor = rules.actor_for_user(request.user)
        if change:
            rules.mission_update(mission=obj, text=obj.text, active=obj.active, actor=actor)
            return
        mission = rules.mission_add(game=obj.game, text=obj.text, active=obj.active, actor=actor)
        # The admin goes on with `obj` (history entry, redirect): make it the mission just created.
        obj.pk = mission.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        rules.mission_delete(mission=obj, actor=rules.actor_for_user(request.user))

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.game.is_live:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Kill)
class KillAdmin(admin.ModelAdmin):
    list_display = ["created_at", "game", "killer", "victim", "method", "status", "resolved_by", "reason"]
    list_filter = ["status", "method", "game"]
    search_fields = ["killer__name", "victim__name", "mission_text", "reason"]
    list_select_related = ["game", "killer", "victim"]
    fields = [
        "game",
        "killer",
        "victim",
        "mission_text",
        "method",
        "status",
        "reason",
        "created_at",
        "resolved_at",
        "resolved_by",
    ]
    readonly_fields = fields

    # Kills are made, settled and undone by the rules only (the buttons above the kill).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/confirm/", view(admin_views.kill_confirm), name="game_kill_confirm"),
            path("<int:pk>/reject/", view(admin_views.kill_reject), name="game_kill_reject"),
            path("<int:pk>/undo/", view(admin_views.kill_undo), name="game_kill_undo"),
        ] + super().get_urls()


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "game", "kind", "actor", "player", "data", "request_id"]
    list_filter = ["kind", "game"]
    search_fields = ["kind", "actor", "player__name", "request_id"]
    list_select_related = ["game", "player"]
    list_per_page = 100

    # The log is append-only: the rules write it, nobody edits it.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
