"""The admin's own pages: a game's dashboard and chain, and the buttons that run a game.

Each view fetches and authorises in one call (`get_allowed`), then hands the rule it runs to
`_action_page`: a confirmation page on GET, the rule on POST, then a message and a redirect. A rule
that refuses becomes an error message on the next page, never a 500. Importing, exporting and
printing cards live in game/admin_roster.py. game/admin.py wires these views up through
`admin_site.admin_view`, so only staff reach them.
"""

from datetime import timedelta
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from game import rules
from game.models import Game, Kill, Player
from game.validators import validate_plain_text

# --- Helpers --------------------------------------------------------------------------------------


def get_allowed(request, model, pk, action):
    """The object, if this user may `action` ("view" or "change") objects of its kind."""
    if not request.user.has_perm(f"game.{action}_{model._meta.model_name}"):
        raise PermissionDenied
    return get_object_or_404(model, pk=pk)


def admin_page(request, template, context):
    """A page in the admin's frame: its header, sidebar and breadcrumbs need the site's context."""
    return TemplateResponse(request, template, admin.site.each_context(request) | context)


def _posted(request):
    """The form's data: an empty POST still binds the form, so it is validated, not shown blank."""
    return request.POST if request.method == "POST" else None


def _action_page(
    request,
    *,
    obj,
    rule,
    title,
    explanation,
    button,
    done,
    back,
    form=None,
    then=None,
    warning=None,
    template="admin/game/confirm_action.html",
):
    """Every button's page. GET, or a POST whose form is invalid: the confirmation page for `obj`.
    A valid POST: `rule(actor=…, **form.cleaned_data)`, the `done` message (or the rule's refusal),
    then a redirect to `then`, or back to `back` when there is no better page to see the result on.
    `warning`, if given, turns the rule's result into a warning to show as well (or None).

    `rule` comes with its object bound (`partial(rules.game_pause, game=game)`); the form's fields are
    named for the rule's other arguments. A page with more to say than `explanation` has a `template`
    of its own that extends the common one.
    """
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            result = rule(actor=rules.actor_for_user(request.user), **(form.cleaned_data if form else {}))
            messages.success(request, done)
            if warning is not None and (text := warning(result)):
                messages.warning(request, text)
        except rules.RuleError as error:
            messages.error(request, error.message)
        return redirect(then or back)
    return admin_page(
        request,
        template,
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


def dashboard_url(game_id):
    return reverse("admin:game_game_dashboard", args=[game_id])


def _player_url(player):
    return reverse("admin:game_player_change", args=[player.pk])


def _kill_url(kill):
    return reverse("admin:game_kill_change", args=[kill.pk])


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, required=False, validators=[validate_plain_text]
    )


class RejectionForm(ReasonForm):
    # The killer reads it: a rejected claim with no reason is a riddle.
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        validators=[validate_plain_text],
        help_text=gettext_lazy("The killer reads it on their page."),
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
        gettext_lazy(
            "While the game is paused, players can neither report nor confirm kills; game masters can "
            "still settle the kills that wait."
        ),
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
        gettext_lazy(
            "The game ends now; waiting kills are cancelled. If it was a mistake, reopen it from the "
            "dashboard before anything else changes."
        ),
        gettext_lazy("The game is finished."),
    ),
    "reopen": (
        rules.game_reopen,
        gettext_lazy("Reopen the game"),
        gettext_lazy(
            "For a game finished by mistake: the kill or drop-out that ended it is undone and that player "
            "is back where they were in the chain; a game finished early gets its chain back. Nobody has "
            "won any more. Kills that were waiting when it ended stay cancelled. This is refused once "
            "anything changed after the end."
        ),
        gettext_lazy("The game is reopened."),
    ),
    "publish_recap": (
        partial(rules.game_set_recap_public, public=True),
        gettext_lazy("Make the recap public"),
        gettext_lazy(
            "Anyone with its link can then see the game's awards and final ranking, without logging in. "
            "A game whose feed keeps killers secret shows no award that would tell who killed whom."
        ),
        gettext_lazy("The recap is public."),
    ),
    "hide_recap": (
        partial(rules.game_set_recap_public, public=False),
        gettext_lazy("Make the recap private"),
        gettext_lazy("Its link then leads nowhere."),
        gettext_lazy("The recap is private."),
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


def _draw_warning(game):
    """What a start or reshuffle could not keep out of the cycle (rules._draw_cycle), as its Event says."""
    draw = game.events.filter(kind__in=["game_started", "game_reshuffled"]).latest("pk")
    broken = draw.data["broken_links"]
    if not broken:
        return None
    return ngettext(
        "No draw could keep every constraint: %(count)d player hunts a target the game forbids.",
        "No draw could keep every constraint: %(count)d players hunt a target the game forbids.",
        broken,
    ) % {"count": broken}


def game_action(request, pk, action):
    game = get_allowed(request, Game, pk, "change")
    if action not in GAME_ACTIONS:
        raise Http404
    rule, title, explanation, done = GAME_ACTIONS[action]
    # A repair starts from the chain page; the game master wants to see the chain it made.
    back = reverse("admin:game_game_chain", args=[game.pk]) if action == "repair" else dashboard_url(game.pk)
    return _action_page(
        request,
        obj=game,
        rule=partial(rule, game=game),
        title=title,
        explanation=explanation,
        button=title,
        done=done,
        back=back,
        warning=_draw_warning if action in ("start", "reshuffle") else None,
    )


def game_erase(request, pk):
    game = get_allowed(request, Game, pk, "change")
    return _action_page(
        request,
        obj=game,
        rule=partial(rules.game_erase_personal_data, game=game),
        title=_("Erase the personal data of %(game)s") % {"game": game},
        explanation=_("This cannot be undone. What goes and what stays:"),
        button=_("Erase the personal data"),
        done=_("The players' personal data is erased."),
        back=dashboard_url(game.pk),
        template="admin/game/game/erase.html",
    )


def _label(field_name):
    return capfirst(Game._meta.get_field(field_name).verbose_name)


class GameOptionsForm(forms.Form):
    confirmation_mode = forms.ChoiceField(
        label=_label("confirmation_mode"), choices=Game.ConfirmationMode.choices
    )
    feed_names_killers = forms.BooleanField(
        label=_label("feed_names_killers"),
        help_text=Game._meta.get_field("feed_names_killers").help_text,
        required=False,
    )
    killer_inherits_mission = forms.BooleanField(
        label=_label("killer_inherits_mission"),
        help_text=Game._meta.get_field("killer_inherits_mission").help_text,
        required=False,
    )
    claim_timeout_minutes = forms.IntegerField(
        label=_label("claim_timeout_minutes"),
        help_text=Game._meta.get_field("claim_timeout_minutes").help_text,
        min_value=0,
        max_value=rules.MAX_CLAIM_TIMEOUT_MINUTES,
    )
    claim_timeout_action = forms.ChoiceField(
        label=_label("claim_timeout_action"), choices=Game.ClaimTimeoutAction.choices
    )
    avoid_same_group = forms.BooleanField(
        label=_label("avoid_same_group"),
        help_text=Game._meta.get_field("avoid_same_group").help_text,
        required=False,
    )


def game_options(request, pk):
    game = get_allowed(request, Game, pk, "change")
    return _action_page(
        request,
        obj=game,
        rule=partial(rules.game_set_options, game=game),
        form=GameOptionsForm(
            _posted(request),
            initial={name: getattr(game, name) for name in GameOptionsForm.base_fields},
        ),
        title=_("Options of %(game)s") % {"game": game},
        explanation=_("Changes apply from now on; kills already waiting keep waiting."),
        button=_("Save"),
        done=_("The game's options are saved."),
        back=dashboard_url(game.pk),
    )


def chain_in_order(game):
    """The alive players in hunting order, each with whether they hunt the next one in the list.

    A whole chain is one cycle. A broken one comes out as pieces, each starting with a player whom
    nobody alive hunts, so the game master sees where the links are missing.
    """
    order = rules.chain_order(game.players.alive().select_related("mission", "target"))
    return [(player, player.target_id == order[(i + 1) % len(order)].pk) for i, player in enumerate(order)]


def game_chain(request, pk):
    game = get_allowed(request, Game, pk, "view")
    return admin_page(
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


def mission_pool_warning(game, *, players=None):
    """What to tell a game master whose pool is much smaller than the game: None when it is fine.
    `players`: how many are in the game (alive), when the caller has counted them already."""
    missions = game.missions.filter(active=True).count()
    if players is None:
        players = game.players.alive().count()
    if missions == 0:
        return _("The pool has no mission: add some before the game starts.")
    if missions * 2 < players:
        return _(
            "The pool has %(missions)d missions for %(players)d players: most missions will be held by "
            "several hunters at once, and a player who sees one done to someone else may guess it. "
            "Add missions (a pack, or several at once)."
        ) % {"missions": missions, "players": players}
    return None


def game_dashboard(request, pk):
    game = get_allowed(request, Game, pk, "view")
    counts = game.players.aggregate(
        alive_count=Count("pk", filter=Q(alive=True)),
        eliminated_count=Count("pk", filter=Q(alive=False, dropped_out=False)),
        dropped_out_count=Count("pk", filter=Q(dropped_out=True)),
    )
    open_kills = game.kills.open().select_related("killer", "victim").order_by("created_at", "pk")
    return admin_page(
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
            "pool_warning": None
            if game.status == Game.Status.FINISHED
            else mission_pool_warning(game, players=counts["alive_count"]),
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
    player = get_allowed(request, Player, pk, "change")
    return _action_page(
        request,
        obj=player,
        rule=partial(rules.player_revive, player=player),
        form=ReviveForm(_posted(request), game=player.game),
        title=_("Revive %(player)s") % {"player": player},
        explanation=_("The player goes back into the chain with a new mission."),
        button=_("Revive"),
        done=_("%(player)s is back in the game.") % {"player": player},
        back=_player_url(player),
    )


def _ends_the_game(player):
    """What the confirmation page adds when taking `player` out leaves one player alive."""
    winner = rules.winner_if_out(player)
    if winner is None:
        return ""
    return " " + _(
        "%(player)s and %(winner)s are the last two players alive: the game will finish and %(winner)s "
        "will be declared the winner."
    ) % {"player": player, "winner": winner}


def player_drop_out(request, pk):
    player = get_allowed(request, Player, pk, "change")
    return _action_page(
        request,
        obj=player,
        rule=partial(rules.player_drop_out, player=player),
        title=_("%(player)s drops out") % {"player": player},
        explanation=_(
            "The player leaves the game; their hunter inherits their target. Nobody is credited a kill."
        )
        + _ends_the_game(player),
        button=_("Drop out"),
        done=_("%(player)s has left the game.") % {"player": player},
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
    player = get_allowed(request, Player, pk, "change")
    return _action_page(
        request,
        obj=player,
        rule=partial(rules.player_new_codes, player=player),
        form=NewCodesForm(_posted(request)),
        title=_("New codes for %(player)s") % {"player": player},
        explanation=_("The old codes stop working at once. Print the player a new card."),
        button=_("Make new codes"),
        done=_("New codes for %(player)s.") % {"player": player},
        back=_player_url(player),
    )


def player_force_kill(request, pk):
    player = get_allowed(request, Player, pk, "change")
    return _action_page(
        request,
        obj=player,
        rule=partial(rules.kill_force, victim=player),
        form=ReasonForm(_posted(request)),
        title=_("Eliminate %(player)s") % {"player": player},
        explanation=_("The kill is credited to their hunter, who inherits their target.")
        + _ends_the_game(player),
        button=_("Eliminate"),
        done=_("%(player)s is eliminated.") % {"player": player},
        back=_player_url(player),
    )


# --- Kills ----------------------------------------------------------------------------------------


def _kill_page(request, kill, *, rule, title, explanation, button, done, form_class=ReasonForm):
    """Confirm, reject and undo: a reason, one rule, then back to the game's dashboard and its queue."""
    return _action_page(
        request,
        obj=kill,
        rule=partial(rule, kill=kill),
        form=form_class(_posted(request)),
        title=title,
        explanation=explanation,
        button=button,
        done=done,
        back=_kill_url(kill),
        then=dashboard_url(kill.game_id),
    )


def kill_confirm(request, pk):
    kill = get_allowed(request, Kill, pk, "change")
    return _kill_page(
        request,
        kill,
        rule=partial(rules.kill_confirm, by_game_master=True),
        title=_("Confirm this kill"),
        explanation=_("The victim is eliminated; the killer inherits their target.")
        + _ends_the_game(kill.victim),
        button=_("Confirm the kill"),
        done=_("The kill is confirmed."),
    )


def kill_reject(request, pk):
    return _kill_page(
        request,
        get_allowed(request, Kill, pk, "change"),
        rule=rules.kill_reject,
        title=_("Reject this kill"),
        explanation=_("Nobody dies; the killer keeps hunting the same target."),
        button=_("Reject the kill"),
        done=_("The kill is rejected."),
        form_class=RejectionForm,
    )


def kill_undo(request, pk):
    return _kill_page(
        request,
        get_allowed(request, Kill, pk, "change"),
        rule=rules.kill_undo,
        title=_("Undo this kill"),
        explanation=_(
            "The victim comes back to life and the chain is put back as it was before the kill. "
            "This is refused when later changes went through the same link."
        ),
        button=_("Undo the kill"),
        done=_("The kill is undone."),
    )
