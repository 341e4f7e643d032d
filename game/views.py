"""Player pages: mobile first, plain forms that work without JavaScript.

A small script (static/game/live.js) polls /api/me and refreshes the page's content when the
game changes, so players see a kill to confirm or a new target without reloading.
"""

import json
from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from game import notices, players, polls, ratelimit, recap, rules, validators, visible
from game.models import Game, Kill


def player_required(view):
    """Passes the logged-in player to the view; sends anyone else to the login page."""

    @wraps(view)
    @ensure_csrf_cookie
    def wrapper(request, *args, **kwargs):
        player = players.current_player(request)
        if player is None:
            return redirect("home")
        return view(request, player, *args, **kwargs)

    return wrapper


def rule_action(view):
    """A POST that calls one rule, then goes back to the dashboard with its outcome."""

    @wraps(view)
    @require_POST
    @player_required
    def wrapper(request, player, *args, **kwargs):
        return _outcome(request, player, view, *args, **kwargs)

    return wrapper


def _outcome(request, player, view, *args, **kwargs):
    try:
        message = view(request, player, *args, **kwargs)
    except ratelimit.RateLimited as limited:
        return too_many_attempts(request, limited)
    except rules.RuleError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, message)
    return redirect("dashboard")


def asks_first(question):
    """A rule_action that one tap must not set off: without `confirmed=yes` the POST changes nothing
    and answers a page that asks once more (`question(player)`: title, consequence, button), whose form
    sends the same fields again, confirmed. With or without JavaScript, as it is a plain page."""

    def decorator(view):
        @wraps(view)
        @require_POST
        @player_required
        def wrapper(request, player, *args, **kwargs):
            if request.POST.get("confirmed") == "yes":
                return _outcome(request, player, view, *args, **kwargs)
            title, consequence, button = question(player)
            fields = [
                (name, value)
                for name, value in request.POST.items()
                if name not in ("csrfmiddlewaretoken", "confirmed")
            ]
            context = {"question": title, "consequence": consequence, "button": button, "fields": fields}
            return render(request, "game/confirm.html", context)

        return wrapper

    return decorator


def too_many_attempts(request, limited):
    response = render(request, "game/too_many.html", {"message": limited.message}, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response


def login_refused(request, limited, code):
    """The 429 of a login. When a puzzle gets past the limit, the login form again, with this code and
    the puzzle, which the page's script (static/game/puzzle.js) solves and sends."""
    if limited.puzzle is None:
        return too_many_attempts(request, limited)
    context = {
        "code": code,
        "puzzle": limited.puzzle,
        "bits": ratelimit.PUZZLE_BITS,
        "message": limited.message,
    }
    response = render(request, "game/login.html", context, status=429)
    response["Retry-After"] = str(limited.retry_after)
    add_never_cache_headers(response)  # it holds the code
    return response


@ensure_csrf_cookie
def home(request):
    if request.method == "POST":
        return _log_in(request)
    if players.current_player(request) is not None:
        return redirect("dashboard")
    return render(request, "game/login.html")


@ensure_csrf_cookie
def login_page(request):
    """The link on a player's card (as a QR code): /login/#CODE. The code after the # never leaves the
    browser; login.js takes it out of the address and posts it with this page's form."""
    return render(request, "game/login.html")


def old_login_link(request, code):
    """The link on cards printed before /login/#CODE: to that form, without looking at the code."""
    return redirect(reverse("login") + "#" + quote(code, safe=""))


def _log_in(request):
    """The login form's POST. A browser logged in as another player is asked before it switches: a
    link sent by someone else must not quietly log a phone into their account."""
    current = None if request.POST.get("confirmed") == "yes" else players.current_player(request)
    code = request.POST.get("code", "")
    puzzle = {"challenge": request.POST.get("challenge", ""), "proof": request.POST.get("proof", "")}
    try:
        player = players.log_in_with_code(request, code, instead_of=current, **puzzle)
    except ratelimit.RateLimited as limited:
        return login_refused(request, limited, code)
    if player is None:
        messages.error(request, _("Unknown code. Check it and try again."))
        return render(request, "game/login.html", status=400)
    if current is not None and current.pk != player.pk:
        names = {"current": current.name, "player": player.name}
        context = {
            "question": _("You are logged in as %(current)s. Log in as %(player)s instead?") % names,
            "consequence": _("This phone will then show the page of %(player)s, not yours.") % names,
            "button": _("Log in as %(player)s") % names,
            "fields": [("code", code[:100])],
        }
        return render(request, "game/confirm.html", context)
    return redirect("dashboard")


@require_POST
def logout(request):
    players.log_out(request)
    return redirect("home")


@player_required
def dashboard(request, player):
    finished = player.game.status == Game.Status.FINISHED
    return render(
        request,
        "game/dashboard.html",
        {
            "me": visible.me(player),
            "poll": ("api_me", polls.me_etag(player)),
            "player": player,
            "story": recap.story(player) if finished else None,
        },
    )


@player_required
def notices_page(request, player):
    return render(request, "game/notices.html", {"notices": notices.latest(player, notices.PAGE_LENGTH)})


@player_required
def leaderboard(request, player):
    # The JSON /api/leaderboard answers with, built once per version for every player.
    version, board = polls.shared_json("leaderboard", player.game_id, visible.leaderboard)
    return render(
        request,
        "game/leaderboard.html",
        {
            "board": json.loads(board),
            "feed": visible.feed(player.game),
            "you": player,
            "poll": ("api_leaderboard", polls.etag("leaderboard", player.pk, version)),
        },
    )


@player_required
def results(request, player):
    if player.game.status != Game.Status.FINISHED:
        return redirect("leaderboard")
    return render(request, "game/results.html", {"board": visible.leaderboard(player.game, length=None)})


def recap_page(request, game_id):
    """A finished game's recap, for anyone with the link once a game master has made it public."""
    game = get_object_or_404(Game, pk=game_id, status=Game.Status.FINISHED, recap_public=True)
    return render(
        request,
        "game/recap.html",
        {"game": game, "awards": recap.public_awards(game), "board": visible.leaderboard(game)},
    )


def rules_page(request):
    player = players.current_player(request)
    return render(request, "game/rules.html", {"game": player.game if player else None})


def _declare_question(player):
    target = player.target.name if player.target_id else ""
    return (
        _("Did you complete your mission on %(target)s?") % {"target": target},
        _("It counts as a kill once confirmed: do it only once the mission is done."),
        _("Yes, mission completed"),
    )


@asks_first(_declare_question)
def declare(request, player):
    target_id = validators.parse_id(request.POST.get("target"))
    if target_id is None:  # a page from before this field: show the current one
        raise rules.RuleError(_("Your target changed before your report arrived: look at your page again."))
    kill = rules.kill_declare(killer=player, actor=rules.actor_for_player(player), target_id=target_id)
    if kill.status == Kill.Status.CONFIRMED:
        return _("Kill confirmed. Here is your new target.")
    return _("Kill declared: it counts once your target confirms it.")


@rule_action
def death_code(request, player):
    keys = ratelimit.death_code_keys(request, player)
    code, actor = request.POST.get("death_code", "")[:100], rules.actor_for_player(player)
    ratelimit.guess(
        keys,
        lambda: rules.kill_with_death_code(killer=player, death_code=code, actor=actor),
        wrong=rules.WrongDeathCode,
    )
    return _("Kill confirmed. Here is your new target.")


def _death_question(player):
    consequence = _("You leave the game and your hunter is credited with the kill. This cannot be undone.")
    if rules.winner_if_out(player) is not None:
        consequence += " " + _(
            "You are one of the last two players: the game will finish and your hunter wins."
        )
    return _("Are you out?"), consequence, _("Yes, I am out")


@asks_first(_death_question)
def report_death(request, player):
    rules.death_report(victim=player, actor=rules.actor_for_player(player))
    return _("Your death is recorded. Thanks for playing!")


@rule_action
def confirm(request, player, kill_id):
    kill = get_object_or_404(Kill, pk=kill_id, victim=player)
    rules.kill_confirm(kill=kill, actor=rules.actor_for_player(player))
    return _("You confirmed your death. Thanks for playing!")


@rule_action
def deny(request, player, kill_id):
    kill = get_object_or_404(Kill, pk=kill_id, victim=player)
    rules.kill_deny(kill=kill, actor=rules.actor_for_player(player))
    return _("You denied the kill. A game master will settle it.")
