"""The JSON API used by the pages' polling script, the load test and scripts.

Every endpoint goes through `endpoint`, which is the one place that turns bad requests and refused
rules into `{"error": "..."}` answers with a 4xx status. Authentication is the player's session
cookie; POSTs carry the CSRF token in the X-CSRFToken header.
"""

import json
import logging
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.decorators.csrf import ensure_csrf_cookie

from game import players, polls, ratelimit, rules, validators, visible
from game.models import Kill

MAX_BODY = 4096

logger = logging.getLogger(__name__)


def error(message, status):
    return JsonResponse({"error": str(message)}, status=status)


def too_many_attempts(limited):
    body = {"error": str(limited.message)}
    if limited.puzzle:
        body["puzzle"] = {"challenge": limited.puzzle, "bits": ratelimit.PUZZLE_BITS}
    response = JsonResponse(body, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response


def endpoint(method, *, fields=(), login=True, etag=None, whole_game=False):
    """Checks the method, the body (a JSON object with only `fields`) and the session.

    With `etag` (the view's name in its ETag), a poll whose If-None-Match is still current gets a
    304 from the session's player and their version alone (game/polls.py), before the player is loaded.
    A `whole_game` view shows what every player of the game sees alike: it gets the session's
    (player id, game id) instead of the player, whom it does not need to load. A view without
    `login` (logging in or out) gets no player.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                # The poll of an unchanged page, first: it needs neither the player nor a CSRF cookie
                # (the answer that gave the client its ETag set one), and has no body to keep private.
                polled = etag and request.method == "GET" and "If-None-Match" in request.headers
                if polled and (tag := _session_etag(request, etag)) and polls.client_has(request, tag):
                    return polls.not_modified(tag)
                response = handle(request, *args, **kwargs)
            except rules.RuleError as refused:
                response = error(refused.message, refused.status)
            except ratelimit.RateLimited as limited:
                response = too_many_attempts(limited)
            except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE: Django would not read it
                response = error(_("The request body is too large."), 413)
            except Http404:
                response = error(_("Not found."), 404)
            except Exception:
                # Logged with its traceback for us; the client learns nothing about the inside.
                logger.exception("Internal error in %s %s", request.method, request.path)
                response = error(_("Internal error"), 500)
            # A player's own data: never stored by a browser's or a proxy's cache.
            add_never_cache_headers(response)
            return response

        @ensure_csrf_cookie
        def handle(request, *args, **kwargs):
            if request.method != method:
                return error(_("Method not allowed."), 405)
            data = {}
            if method == "POST":
                data, problem = _parse_body(request, fields)
                if problem:
                    return error(problem, 400)
            if not login:
                return view(request, None, data, *args, **kwargs)
            # A whole_game view gets the session's (player id, game id) alone.
            player = players.poll_ids(request) if whole_game else players.current_player(request)
            if player is None:
                return error(_("Log in with your code first."), 401)
            return view(request, player, data, *args, **kwargs)

        wrapper.poll_etag = etag  # for killer/early.py
        return wrapper

    return decorator


def _parse_body(request, fields):
    try:
        body = request.body
    except RawPostDataException:
        # A form's body, already read as a form by the CSRF check: not JSON.
        return None, _("The request body must be a JSON object.")
    if len(body) > MAX_BODY:
        return None, _("The request body is too large.")
    if not body.strip():
        return {}, None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None, _("The request body is not valid JSON.")
    if not isinstance(data, dict):
        return None, _("The request body must be a JSON object.")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        return None, _("Unknown field: %(fields)s.") % {"fields": ", ".join(unknown)}
    for name, value in data.items():
        # A lone surrogate (JSON's "\ud800") is no text: nothing downstream could encode it.
        if not isinstance(value, str) or len(value) > 100 or not _encodes(value):
            return None, _("%(field)s must be a short text.") % {"field": name}
    return data, None


def _encodes(text):
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: JSON for the API, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return error(_("CSRF check failed: send the csrftoken cookie's value in X-CSRFToken."), 403)
    return html_csrf_failure(request, reason)


def _session_etag(request, view):
    ids = players.poll_ids(request)
    return polls.session_etag(view, *ids) if ids else None


def _cached(request, tag, build):
    """The JSON of `build()`, or a 304 when the client already has this version."""
    if polls.client_has(request, tag):
        return polls.not_modified(tag)
    return _json(json.dumps(build(), cls=DjangoJSONEncoder), tag)


def _json(body, tag):
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    return response


@endpoint("POST", fields=("code", "challenge", "proof"), login=False)
def login(request, player, data):
    puzzle = {"challenge": data.get("challenge", ""), "proof": data.get("proof", "")}
    player = players.log_in_with_code(request, data.get("code", ""), **puzzle)
    if player is None:
        return error(_("Unknown code."), 400)
    return JsonResponse(visible.me(player))


@endpoint("POST", login=False)
def logout(request, player, data):
    players.log_out(request)
    return JsonResponse({"ok": True})


@endpoint("GET", etag="me")
def me(request, player, data):
    return _cached(request, polls.me_etag(player), lambda: visible.me(player))


@endpoint("GET", etag="leaderboard", whole_game=True)
def leaderboard(request, ids, data):
    return _game_wide(request, ids, "leaderboard", visible.leaderboard)


@endpoint("GET", etag="feed", whole_game=True)
def feed(request, ids, data):
    return _game_wide(request, ids, "feed", visible.feed)


def _game_wide(request, ids, view, build):
    """What every player of the game sees alike, or a 304 when the client already has this version:
    never an older version than the client has, whichever process answers."""
    player_id, game_id = ids
    held = polls.held_version(request, view, player_id)
    version, body = polls.shared_json(view, game_id, build, at_least=held)
    tag = polls.etag(view, player_id, version)
    return polls.not_modified(tag) if polls.client_has(request, tag) else _json(body, tag)


@endpoint("POST", fields=("death_code", "target"))
def kills(request, player, data):
    actor = rules.actor_for_player(player)
    if "death_code" in data:
        keys = ratelimit.death_code_keys(request, player)
        kill = ratelimit.guess(
            keys,
            lambda: rules.kill_with_death_code(killer=player, death_code=data["death_code"], actor=actor),
            wrong=rules.WrongDeathCode,
        )
    elif (target_id := validators.parse_id(data.get("target"))) is None:
        return error(_("Say which target your kill is on: the target's id from /api/me."), 400)
    else:
        kill = rules.kill_declare(killer=player, actor=actor, target_id=target_id)
    return JsonResponse(_kill(kill), status=201)


@endpoint("POST")
def kill_confirm(request, player, data, kill_id):
    kill = rules.kill_confirm(kill=_kill_against(player, kill_id), actor=rules.actor_for_player(player))
    return JsonResponse(_kill(kill))


@endpoint("POST")
def kill_deny(request, player, data, kill_id):
    kill = rules.kill_deny(kill=_kill_against(player, kill_id), actor=rules.actor_for_player(player))
    return JsonResponse(_kill(kill))


@endpoint("POST")
def death(request, player, data):
    kill = rules.death_report(victim=player, actor=rules.actor_for_player(player))
    return JsonResponse(_kill(kill), status=201)


def _kill_against(player, kill_id):
    """Only the victim answers a kill: anyone else gets a 404, as if it did not exist."""
    return get_object_or_404(Kill, pk=kill_id, victim=player)


def _kill(kill):
    return {"id": kill.pk, "status": kill.status, "method": kill.method}
