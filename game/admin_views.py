"""The admin's own pages: a game's dashboard and chain, and the buttons that run a game.

Each view fetches and authorises in one call, asks for confirmation on GET, calls one rule on POST
and redirects. A rule that refuses becomes an error message on the next page, never a 500.
game/admin.py wires these views up through `admin_site.admin_view`, so only staff reach them.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from game import cards, csv_io, rules
from game.models import Game, Kill, Player
from game.validators import validate_plain_text

# --- Helpers --------------------------------------------------------------------------------------


def _get(request, model, pk, action):
    """The object, if this user may `action` ("view" or "change") objects of its kind."""
    if not request.user.has_perm(f"game.{action}_{model._meta.model_name}"):
        raise PermissionDenied
    return get_object_or_404(model, pk=pk)


def _render(request, template, context):
    return TemplateResponse(request, template, admin.site.each_context(request) | context)


def _posted(request):
    """The form's data: an empty POST still binds the form, so it is validated, not shown blank."""
    return request.POST if request.method == "POST" else None


def _actor(request):
    return rules.actor_for_user(request.user)


def _confirm_page(request, *, obj, title, explanation, button, form=None, back):
    return _render(
        request,
        "admin/game/confirm_action.html",
        {
            "title": title,
            "object": obj,
            "opts": obj._meta,
            "explanation": explanation,
            "button": button,
            "form": form,
            "back": back,
        },
    )


def _dashboard_url(game_id):
    return reverse("admin:game_game_dashboard", args=[game_id])


def _player_url(player):
    return reverse("admin:game_player_change", args=[player.pk])


def _kill_url(kill):
    return reverse("admin:game_kill_change", args=[kill.pk])


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, required=False, validators=[validate_plain_text]
    )


# --- Games ----------------------------------------------------------------------------------------

# Each game button: the rule it calls, the confirmation page's title and text, the message once done.
GAME_ACTIONS = {
    "start": (
        rules.game_start,
        gettext_lazy("Start the game"),
        gettext_lazy("Every player gets a target and a mission; the players form one random cycle."),
        gettext_lazy("The game has started."),
    ),
    "pause": (
        rules.game_pause,
        gettext_lazy("Pause the game"),
        gettext_lazy("While the game is paused, no kill can be reported or confirmed."),
        gettext_lazy("The game is paused."),
    ),
    "resume": (
        rules.game_resume,
        gettext_lazy("Resume the game"),
        gettext_lazy("Kills can be reported again."),
        gettext_lazy("The game is running again."),
    ),
    "finish": (
        rules.game_finish,
        gettext_lazy("Finish the game"),
        gettext_lazy("The game ends now; waiting kills are cancelled. This cannot be undone."),
        gettext_lazy("The game is finished."),
    ),
    "reshuffle": (
        rules.game_reshuffle,
        gettext_lazy("Reshuffle the targets"),
        gettext_lazy(
            "The players still alive form a new random cycle and keep their missions. "
            "Everyone gets a new target; waiting kills are cancelled."
        ),
        gettext_lazy("The players have new targets."),
    ),
    "repair": (
        rules.chain_repair,
        gettext_lazy("Repair the chain"),
        gettext_lazy(
            "The broken pieces of the chain are joined back into one cycle; links that hold are kept."
        ),
        gettext_lazy("The chain has been repaired."),
    ),
}


def game_action(request, pk, action):
    game = _get(request, Game, pk, "change")
    if action not in GAME_ACTIONS:
        raise Http404
    rule, title, explanation, done = GAME_ACTIONS[action]
    # A repair starts from the chain page; the game master wants to see the chain it made.
    back = reverse("admin:game_game_chain", args=[game.pk]) if action == "repair" else _dashboard_url(game.pk)
    if request.method == "POST":
        try:
            rule(game=game, actor=_actor(request))
            messages.success(request, done)
        except rules.RuleError as error:
            messages.error(request, error.message)
        return redirect(back)
    return _confirm_page(request, obj=game, title=title, explanation=explanation, button=title, back=back)


def _label(field_name):
    return capfirst(Game._meta.get_field(field_name).verbose_name)


class GameOptionsForm(forms.Form):
    confirmation_mode = forms.ChoiceField(
        label=_label("confirmation_mode"), choices=Game.ConfirmationMode.choices
    )
    feed_names_killers = forms.BooleanField(label=_label("feed_names_killers"), required=False)
    killer_inherits_mission = forms.BooleanField(
        label=_label("killer_inherits_mission"),
        help_text=Game._meta.get_field("killer_inherits_mission").help_text,
        required=False,
    )


def game_options(request, pk):
    game = _get(request, Game, pk, "change")
    form = GameOptionsForm(
        _posted(request),
        initial={name: getattr(game, name) for name in GameOptionsForm.base_fields},
    )
    if request.method == "POST" and form.is_valid():
        try:
            rules.game_set_options(game=game, actor=_actor(request), **form.cleaned_data)
            messages.success(request, _("The game's options are saved."))
        except rules.RuleError as error:
            messages.error(request, error.message)
        return redirect(_dashboard_url(game.pk))
    return _confirm_page(
        request,
        obj=game,
        title=_("Options of %(game)s") % {"game": game},
        explanation=_("Changes apply from now on; kills already waiting keep waiting."),
        button=_("Save"),
        form=form,
        back=_dashboard_url(game.pk),
    )


def chain_in_order(game):
    """The alive players in hunting order, each with whether they hunt the next one in the list.

    A whole chain is one cycle. A broken one comes out as pieces, each starting with a player whom
    nobody alive hunts, so the game master sees where the links are missing.
    """
    order = rules.chain_order(game.players.alive().select_related("mission", "target"))
    return [(player, player.target_id == order[(i + 1) % len(order)].pk) for i, player in enumerate(order)]


def game_chain(request, pk):
    game = _get(request, Game, pk, "view")
    return _render(
        request,
        "admin/game/game/chain.html",
        {
            "title": _("Chain of %(game)s") % {"game": game},
            "game": game,
            "opts": Game._meta,
            "chain": chain_in_order(game) if game.is_live else [],
            "problems": rules.chain_problems(game),
        },
    )


def kills_per_hour(game, *, now=None, max_hours=7 * 24):
    """Bars for a chart of confirmed kills per hour, from the start (at most `max_hours` back)."""
    end = game.finished_at or now or timezone.now()
    times = list(game.kills.confirmed().values_list("resolved_at", flat=True))
    start = game.started_at or min(times, default=end)
    start = max(start, end - timedelta(hours=max_hours - 1))

    def hour(moment):
        return timezone.localtime(moment).replace(minute=0, second=0, microsecond=0)

    first = hour(start)
    counts = [0] * (int((hour(end) - first).total_seconds() // 3600) + 1)
    for moment in times:
        index = int((hour(moment) - first).total_seconds() // 3600)
        if 0 <= index < len(counts):
            counts[index] += 1
    return [{"hour": first + timedelta(hours=i), "count": count} for i, count in enumerate(counts)]


def _chart(bars, *, width=720, height=160):
    """Geometry of the bar chart, so that the template only draws rectangles."""
    top = max((bar["count"] for bar in bars), default=0) or 1
    step = width / max(len(bars), 1)
    label_every = max(1, len(bars) // 12)
    return {
        "width": width,
        "height": height,
        "top": top,
        "bars": [
            {
                "x": round(i * step, 2),
                "width": round(max(step - 1, 1), 2),
                "height": round(bar["count"] / top * height, 2),
                "y": round(height - bar["count"] / top * height, 2),
                "count": bar["count"],
                "hour": bar["hour"],
                "label": i % label_every == 0,
            }
            for i, bar in enumerate(bars)
        ],
    }


def game_dashboard(request, pk):
    game = _get(request, Game, pk, "view")
    counts = game.players.aggregate(
        alive_count=Count("pk", filter=Q(alive=True)),
        eliminated_count=Count("pk", filter=Q(alive=False, dropped_out=False)),
        dropped_out_count=Count("pk", filter=Q(dropped_out=True)),
    )
    open_kills = game.kills.open().select_related("killer", "victim").order_by("created_at", "pk")
    return _render(
        request,
        "admin/game/game/dashboard.html",
        {
            "title": str(game),
            "game": game,
            "opts": Game._meta,
            "counts": counts,
            "chart": _chart(kills_per_hour(game)),
            "disputed": [k for k in open_kills if k.status == Kill.Status.DENIED],
            "pending": [k for k in open_kills if k.status == Kill.Status.PENDING],
            "top_killers": game.players.filter(kill_count__gt=0).ranked()[:10],
            "chain_problems": rules.chain_problems(game),
        },
    )


# --- Players --------------------------------------------------------------------------------------


class ReviveForm(forms.Form):
    after = forms.ModelChoiceField(
        label=gettext_lazy("Place them right after"),
        queryset=Player.objects.none(),
        required=False,
        empty_label=gettext_lazy("a random player"),
        help_text=gettext_lazy("They will hunt that player's target, and that player will hunt them."),
    )

    def __init__(self, *args, game, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["after"].queryset = game.players.alive()


def player_revive(request, pk):
    player = _get(request, Player, pk, "change")
    form = ReviveForm(_posted(request), game=player.game)
    if request.method == "POST" and form.is_valid():
        try:
            rules.player_revive(player=player, actor=_actor(request), after=form.cleaned_data["after"])
            messages.success(request, _("%(player)s is back in the game.") % {"player": player})
        except rules.RuleError as error:
            messages.error(request, error.message)
        return redirect(_player_url(player))
    return _confirm_page(
        request,
        obj=player,
        title=_("Revive %(player)s") % {"player": player},
        explanation=_("The player goes back into the chain with a new mission."),
        button=_("Revive"),
        form=form,
        back=_player_url(player),
    )


def player_drop_out(request, pk):
    player = _get(request, Player, pk, "change")
    if request.method == "POST":
        try:
            rules.player_drop_out(player=player, actor=_actor(request))
            messages.success(request, _("%(player)s has left the game.") % {"player": player})
        except rules.RuleError as error:
            messages.error(request, error.message)
        return redirect(_player_url(player))
    return _confirm_page(
        request,
        obj=player,
        title=_("%(player)s drops out") % {"player": player},
        explanation=_(
            "The player leaves the game; their hunter inherits their target. Nobody is credited a kill."
        ),
        button=_("Drop out"),
        back=_player_url(player),
    )


class NewCodesForm(forms.Form):
    login = forms.BooleanField(label=gettext_lazy("New login code"), required=False, initial=True)
    death = forms.BooleanField(label=gettext_lazy("New death code"), required=False, initial=True)

    def clean(self):
        if not (self.cleaned_data.get("login") or self.cleaned_data.get("death")):
            raise forms.ValidationError(gettext_lazy("Choose at least one code."))
        return self.cleaned_data


def player_new_codes(request, pk):
    player = _get(request, Player, pk, "change")
    form = NewCodesForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            rules.player_new_codes(player=player, actor=_actor(request), **form.cleaned_data)
            messages.success(request, _("New codes for %(player)s.") % {"player": player})
        except rules.RuleError as error:
            messages.error(request, error.message)
        return redirect(_player_url(player))
    return _confirm_page(
        request,
        obj=player,
        title=_("New codes for %(player)s") % {"player": player},
        explanation=_("The old codes stop working at once. Print the player a new card."),
        button=_("Make new codes"),
        form=form,
        back=_player_url(player),
    )


def player_force_kill(request, pk):
    player = _get(request, Player, pk, "change")
    form = ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            rules.kill_force(victim=player, actor=_actor(request), reason=form.cleaned_data["reason"])
            messages.success(request, _("%(player)s is eliminated.") % {"player": player})
        except rules.RuleError as error:
            messages.error(request, error.message)
        return redirect(_player_url(player))
    return _confirm_page(
        request,
        obj=player,
        title=_("Eliminate %(player)s") % {"player": player},
        explanation=_("The kill is credited to their hunter, who inherits their target."),
        button=_("Eliminate"),
        form=form,
        back=_player_url(player),
    )


# --- Kills ----------------------------------------------------------------------------------------


def _kill_page(request, pk, *, rule, title, explanation, button, done):
    """Confirm, reject and undo: a reason, one rule, then back to the game's dashboard and its queue."""
    kill = _get(request, Kill, pk, "change")
    form = ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            rule(kill=kill, actor=_actor(request), reason=form.cleaned_data["reason"])
            messages.success(request, done)
        except rules.RuleError as error:
            messages.error(request, error.message)
        return redirect(_dashboard_url(kill.game_id))
    return _confirm_page(
        request,
        obj=kill,
        title=title,
        explanation=explanation,
        button=button,
        form=form,
        back=_kill_url(kill),
    )


def kill_confirm(request, pk):
    return _kill_page(
        request,
        pk,
        rule=rules.kill_confirm_with_reason,
        title=_("Confirm this kill"),
        explanation=_("The victim is eliminated; the killer inherits their target."),
        button=_("Confirm the kill"),
        done=_("The kill is confirmed."),
    )


def kill_reject(request, pk):
    return _kill_page(
        request,
        pk,
        rule=rules.kill_reject,
        title=_("Reject this kill"),
        explanation=_("Nobody dies; the killer keeps hunting the same target."),
        button=_("Reject the kill"),
        done=_("The kill is rejected."),
    )


def kill_undo(request, pk):
    return _kill_page(
        request,
        pk,
        rule=rules.kill_undo,
        title=_("Undo this kill"),
        explanation=_(
            "The victim comes back to life and the chain is put back as it was before the kill. "
            "This is refused when later changes went through the same link."
        ),
        button=_("Undo the kill"),
        done=_("The kill is undone."),
    )


# --- Import, export and login cards ---------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "A first line naming the columns (name, email, group), then one player per line."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 1_000_000:
            raise forms.ValidationError(gettext_lazy("The file is larger than 1 MB."))
        return csv_io.decode(upload.read())


def game_import(request, pk):
    """Upload shows a preview; the preview's button posts the same text back as `csv_text` to import it."""
    game = _get(request, Game, pk, "change")
    if not request.user.has_perm("game.add_player"):
        raise PermissionDenied
    if "csv_text" in request.POST:
        form = ImportForm()
        text = request.POST["csv_text"]
    else:
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        text = form.cleaned_data["file"] if form.is_valid() else None
    result = csv_io.read_players(text, game=game) if text is not None else None
    if "csv_text" in request.POST and result.ok:
        return _import_rows(request, game, result.rows)
    return _render(
        request,
        "admin/game/game/import.html",
        {
            "title": _("Import players into %(game)s") % {"game": game},
            "game": game,
            "opts": Game._meta,
            "form": form,
            "result": result,
            "csv_text": text,
        },
    )


def _import_rows(request, game, rows):
    # All or nothing: a refusal half-way (the game just finished) leaves no half-imported file.
    try:
        with transaction.atomic():
            for row in rows:
                rules.player_join(
                    game=game, name=row.name, email=row.email, group=row.group, actor=_actor(request)
                )
    except rules.RuleError as error:
        messages.error(request, error.message)
        return redirect(_dashboard_url(game.pk))
    messages.success(request, _("%(count)d players imported.") % {"count": len(rows)})
    return redirect(reverse("admin:game_player_changelist") + f"?game__id__exact={game.pk}")


def _csv_response(filename):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The byte order mark makes Excel read the file as UTF-8, accents included.
    response.write("\ufeff")
    return response


def game_export_players(request, pk):
    game = _get(request, Game, pk, "view")
    if not request.user.has_perm("game.view_player"):
        raise PermissionDenied
    response = _csv_response(f"players-{game.pk}.csv")
    csv_io.write_players(
        response,
        game.players.order_by("group", "name", "pk"),
        login_link=lambda player: request.build_absolute_uri(cards.login_path(player)),
    )
    return response


def game_export_kills(request, pk):
    game = _get(request, Game, pk, "view")
    if not request.user.has_perm("game.view_kill"):
        raise PermissionDenied
    response = _csv_response(f"kills-{game.pk}.csv")
    csv_io.write_kills(response, game.kills.select_related("killer", "victim").order_by("created_at", "pk"))
    return response


def _cards_page(request, players):
    return TemplateResponse(
        request,
        "admin/game/cards.html",
        {
            "cards": [
                cards.card(player, login_link=request.build_absolute_uri(cards.login_path(player)))
                for player in players
            ]
        },
    )


def game_cards(request, pk):
    """Cards for every player of the game still in it, by group, to hand out."""
    game = _get(request, Game, pk, "view")
    if not request.user.has_perm("game.view_player"):
        raise PermissionDenied
    return _cards_page(request, game.players.filter(dropped_out=False).order_by("group", "name", "pk"))


def player_cards(request):
    """Cards for the players picked in the player list (`?ids=1,2,3`)."""
    if not request.user.has_perm("game.view_player"):
        raise PermissionDenied
    ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk.isdigit()]
    return _cards_page(request, Player.objects.filter(pk__in=ids).order_by("group", "name", "pk"))
