"""The roster in and out of the admin: players imported from a CSV file, missions pasted or taken from
a pack, players and kills exported as CSV files, and login cards to print and hand out.

Like game/admin_views.py, whose helpers these views share, each view fetches and authorises first;
game/admin.py wires them up through `admin_site.admin_view`, so only staff reach them.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from game import cards, csv_io, rules, validators
from game.admin_views import admin_page, dashboard_url, get_allowed, mission_pool_warning
from game.mission_packs import PACKS
from game.models import Game, Player


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
    game = get_allowed(request, Game, pk, "change")
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
    return admin_page(
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
    actor = rules.actor_for_user(request.user)
    # All or nothing: a refusal half-way (the game just finished) leaves no half-imported file.
    try:
        with transaction.atomic():
            for row in rows:
                rules.player_join(game=game, name=row.name, email=row.email, group=row.group, actor=actor)
    except rules.RuleError as error:
        messages.error(request, error.message)
        return redirect(dashboard_url(game.pk))
    messages.success(
        request,
        ngettext("%(count)d player imported.", "%(count)d players imported.", len(rows))
        % {"count": len(rows)},
    )
    return redirect(reverse("admin:game_player_changelist") + f"?game__id__exact={game.pk}")


class MissionsForm(forms.Form):
    texts = forms.CharField(
        label=gettext_lazy("Missions"),
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text=gettext_lazy(
            "One mission per line, as the hunter will read it. Blank lines and missions already in the "
            "pool are skipped."
        ),
    )


def game_missions(request, pk):
    """Missions pasted one per line, or a whole pack, added to the pool through the rules; all of
    them or, when a line is refused, none."""
    game = get_allowed(request, Game, pk, "change")
    if not request.user.has_perm("game.add_mission"):
        raise PermissionDenied
    pack = PACKS.get(request.POST.get("pack", ""))
    form = MissionsForm(request.POST if request.method == "POST" and not pack else None)
    errors = []
    if pack or form.is_valid():
        lines = pack[1] if pack else form.cleaned_data["texts"].splitlines()
        texts, errors = _new_missions(game, lines)
        if not errors:
            return _add_missions(request, game, texts)
    return admin_page(
        request,
        "admin/game/game/missions.html",
        {
            "title": _("Add missions to %(game)s") % {"game": game},
            "game": game,
            "opts": Game._meta,
            "form": form,
            "errors": errors,
            "packs": [(code, label, len(texts)) for code, (label, texts) in PACKS.items()],
            "pool": game.missions.filter(active=True).count(),
            "warning": mission_pool_warning(game),
        },
    )


def _new_missions(game, lines):
    """The lines' missions not yet in the pool, in order, and an error per refused line."""
    known = set(game.missions.values_list("text", flat=True))
    texts, errors = [], []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text in known:
            continue
        try:
            validators.check_mission_text(text)
        except rules.RuleError as error:
            errors.append(_("Line %(number)d: %(error)s") % {"number": number, "error": error.message})
            continue
        known.add(text)
        texts.append(text)
    return texts, errors


def _add_missions(request, game, texts):
    actor = rules.actor_for_user(request.user)
    try:
        with transaction.atomic():
            for text in texts:
                rules.mission_add(game=game, text=text, actor=actor)
    except rules.RuleError as error:
        messages.error(request, error.message)
        return redirect(dashboard_url(game.pk))
    messages.success(request, _("%(count)d missions added to the pool.") % {"count": len(texts)})
    return redirect(dashboard_url(game.pk))


def _csv_download(request, pk, what):
    """The game, which this game master may view with its `what`s, and an empty CSV download of them."""
    game = get_allowed(request, Game, pk, "view")
    if not request.user.has_perm(f"game.view_{what}"):
        raise PermissionDenied
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{what}s-{game.pk}.csv"'
    # The byte order mark makes Excel read the file as UTF-8, accents included.
    response.write("\ufeff")
    return game, response


def game_export_players(request, pk):
    game, response = _csv_download(request, pk, "player")
    csv_io.write_players(
        response,
        game.players.order_by("group", "name", "pk"),
        login_link=lambda player: cards.login_url(request, player),
    )
    return response


def game_export_kills(request, pk):
    game, response = _csv_download(request, pk, "kill")
    csv_io.write_kills(response, game.kills.select_related("killer", "victim").order_by("created_at", "pk"))
    return response


def _cards_page(request, players, *, left_out=0):
    return TemplateResponse(
        request,
        "admin/game/cards.html",
        {
            "cards": [cards.card(player, login_link=cards.login_url(request, player)) for player in players],
            # Without SITE_URL the links carry the address this page was opened with.
            "site_url": settings.SITE_URL,
            "address": request.build_absolute_uri("/"),
            "left_out": left_out,
        },
    )


def game_cards(request, pk):
    """Cards for every player of the game still in it (`?all=1`: the eliminated too), by group."""
    game = get_allowed(request, Game, pk, "view")
    if not request.user.has_perm("game.view_player"):
        raise PermissionDenied
    players = list(game.players.filter(dropped_out=False).order_by("group", "name", "pk"))
    if request.GET.get("all") == "1":
        return _cards_page(request, players)
    alive = [player for player in players if player.alive]
    return _cards_page(request, alive, left_out=len(players) - len(alive))


def player_cards(request):
    """Cards for the players picked in the player list (`?ids=1,2,3`)."""
    if not request.user.has_perm("game.view_player"):
        raise PermissionDenied
    ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk.isdigit()]
    return _cards_page(request, Player.objects.filter(pk__in=ids).order_by("group", "name", "pk"))
