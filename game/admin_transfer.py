"""A whole game out of the admin as a JSON file, and a game file in as a new game (game/transfer.py).

The import page takes the file and shows what it will make; its button posts back the checked file,
signed (so what is made is what was shown) and compressed, with no file kept on the server: any
server behind the same SECRET_KEY can finish it. game/admin.py wires these views up through
`admin_site.admin_view`, so only staff reach them.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from game import rules, transfer
from game.admin_views import admin_page, dashboard_url, get_allowed
from game.models import Game
from game.validators import validate_plain_text

# An import makes every kind of row a game has.
IMPORT_PERMISSIONS = [
    "game.add_game",
    "game.add_mission",
    "game.add_player",
    "game.add_kill",
    "game.add_event",
]
MAX_FILE_SIZE = 20_000_000
SALT = "game.admin_transfer.import"
PREVIEW_SECONDS = 3600


def game_export_json(request, pk):
    game = get_allowed(request, Game, pk, "view")
    if not all(request.user.has_perm(f"game.view_{kind}") for kind in ("mission", "player", "kill", "event")):
        raise PermissionDenied
    response = HttpResponse(transfer.file_text(game), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="game-{game.pk}.json"'
    return response


class GameImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Game file"),
        help_text=gettext_lazy(
            "A file made by Export (JSON) on a game's dashboard, here or on another server."
        ),
    )
    what = forms.ChoiceField(
        label=gettext_lazy("What to import"),
        choices=[
            ("everything", gettext_lazy("Everything: the game as it was, to carry it on here")),
            (
                "setup",
                gettext_lazy(
                    "The setup only: options, missions and players, in a new game not started, with new codes"
                ),
            ),
        ],
        initial="everything",
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=gettext_lazy("Name of the new game"),
        max_length=100,
        required=False,
        validators=[validate_plain_text],
        help_text=gettext_lazy("Leave it empty to keep the name in the file."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_SIZE:
            raise forms.ValidationError(gettext_lazy("The file is larger than 20 MB."))
        try:
            return transfer.read_file(upload.read())
        except rules.RuleError as error:
            raise forms.ValidationError(error.message) from None

    def clean(self):
        cleaned = super().clean()
        if "file" in cleaned and "what" in cleaned:
            try:
                self.preview = transfer.preview_import(
                    cleaned["file"], name=cleaned.get("name") or None, what=cleaned["what"]
                )
            except rules.RuleError as error:
                raise forms.ValidationError(error.message) from None
        return cleaned


def game_import_file(request):
    """Upload shows what the import will make; its button posts `token`, which makes it."""
    if not request.user.has_perms(IMPORT_PERMISSIONS):
        raise PermissionDenied
    if "token" in request.POST:
        return _import(request, request.POST["token"])
    form = GameImportForm(request.POST, request.FILES) if request.method == "POST" else GameImportForm()
    preview = token = None
    if form.is_valid():
        preview = form.preview
        token = signing.dumps(
            {
                "data": form.cleaned_data["file"],
                "what": form.cleaned_data["what"],
                "name": form.cleaned_data["name"] or None,
                "source": request.FILES["file"].name,
            },
            salt=SALT,
            compress=True,
        )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and len(token) > limit - 10_000:
            form.add_error(
                "file",
                _(
                    "This game is too large to import from here: "
                    "use python manage.py import_game on the server."
                ),
            )
            preview = token = None
    return admin_page(
        request,
        "admin/game/game/import_game.html",
        {
            "title": _("Import a game"),
            "opts": Game._meta,
            "form": form,
            "preview": preview,
            "token": token,
        },
    )


def _import(request, token):
    try:
        pending = signing.loads(token, salt=SALT, max_age=PREVIEW_SECONDS)
    except signing.BadSignature:
        messages.error(request, _("This preview is out of date: upload the file again."))
        return redirect("admin:game_game_import_game")
    try:
        game = transfer.import_game(
            pending["data"],
            name=pending["name"],
            what=pending["what"],
            actor=rules.actor_for_user(request.user),
            source=pending["source"],
        )
    except rules.RuleError as error:
        messages.error(request, error.message)
        return redirect("admin:game_game_import_game")
    messages.success(request, _("The game %(game)s is imported.") % {"game": game})
    if count := transfer.new_codes(game):
        messages.warning(
            request,
            ngettext(
                "%(count)d player had a login or death code already used on this server: they have new "
                "codes. Print their login card again.",
                "%(count)d players had a login or death code already used on this server: they have new "
                "codes. Print their login cards again.",
                count,
            )
            % {"count": count},
        )
    return redirect(dashboard_url(game.pk))
