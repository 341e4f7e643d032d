"""The answer given before Django's handler: the 304 of a poll whose page has not changed.

Phones poll every ~5 s on connections idle in between. So spread out, such a poll spent more CPU in
Django's request handling (middleware, signals, routing) than in all the server around it, for an
answer without a body (docs/load-tests.md). killer/wsgi.py asks `unchanged_poll()` first; whenever it
can't vouch for the answer, it says None and Django answers, as for anything.

It answers from a session Django's poll path checked in this process, or that the cache holds,
opened with the player's login code as the cache knows it, at the sessions' epoch (`polls.early_ids()`,
which reads the epoch from the database at most once a second), and from versions in this process's
memory or the cache (game/polls.py holds all of that), for an allowed
Host, over HTTPS where Django would redirect; with the headers Django's middleware would add. Every
middleware in settings.MIDDLEWARE is in one of the two lists below (tests/test_early.py checks it).
"""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.module_loading import import_string

from game import polls
from killer.middleware import request_id_for

# The middleware that only add headers on the way out, run once per kind of answer to learn them.
HEADER_MIDDLEWARE = [
    "killer.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",  # its HTTPS redirect: see may_answer_early()
    "killer.middleware.SecurityHeadersMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the language: unchanged_poll() picks it the same way
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# The others, and why an early 304 does without them.
NOT_NEEDED = {
    "killer.middleware.RefuseNulMiddleware": "the answer reads no query parameter",
    "whitenoise.middleware.WhiteNoiseMiddleware": "a poll is not a static file",
    "django.contrib.sessions.middleware.SessionMiddleware": "game.polls reads the session; a 304 saves none",
    "django.middleware.common.CommonMiddleware": "a polled path resolves as it is: no slash or www redirect",
    "django.middleware.csrf.CsrfViewMiddleware": "a GET, and a 304 sets no cookie",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "players have no Django user",
    "django.contrib.messages.middleware.MessageMiddleware": "a 304 shows no message",
}


def unchanged_poll(environ):
    """The headers of the 304 of a poll whose page has not changed, or None."""
    if environ.get("REQUEST_METHOD") != "GET" or "HTTP_IF_NONE_MATCH" not in environ:
        return None
    view = polled_view(environ.get("PATH_INFO", ""))
    if view is None:
        return None
    request = WSGIRequest(environ)
    if not may_answer_early(request):
        return None
    ids = polls.early_ids(request)  # reads the cache: after the cheap checks
    if ids is None:
        return None
    # The ETag names the language of the JSON: the one LocaleMiddleware would have picked.
    language = translation.get_language_from_request(request)
    player_id, game_id = ids
    tag = polls.session_etag(view, player_id, game_id, language=language, database=False)
    if tag is None or not polls.client_has(request, tag):
        return None
    return _headers(request, language, polls.not_modified(tag))


@lru_cache(maxsize=64)
def polled_view(path):
    """The view name in the ETag of the API endpoint at `path` (game.api's `endpoint(etag=...)`), or None."""
    try:
        return getattr(resolve(path).func, "poll_etag", None)
    except Resolver404:
        return None


def may_answer_early(request):
    """Whether Django would have let `request` reach a view: an allowed Host, and HTTPS where
    SECURE_SSL_REDIRECT would send it there first."""
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return request.is_secure() or not settings.SECURE_SSL_REDIRECT


def _headers(request, language, response):
    """The headers of `response` with what the middleware would add or change. For answers of one
    kind (the 304 of a poll) in a language, over HTTP or over HTTPS, that is always the same: run once
    through the middleware themselves, then remembered (but the request id)."""
    key = (request.is_secure(), language)
    own = dict(response.items())
    if key not in polls.early_headers:
        chain = lambda request: response  # noqa: E731 -- the view at the end of the chain
        for path in reversed(settings.MIDDLEWARE):
            if path in HEADER_MIDDLEWARE:
                chain = import_string(path)(chain)
        added = {name: value for name, value in chain(request).items() if own.get(name) != value}
        added.pop("X-Request-ID", None)
        polls.early_headers.remember(key, added)
    return [*{**own, **polls.early_headers[key]}.items(), ("X-Request-ID", request_id_for(request))]
