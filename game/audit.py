"""The request that a state change came from, for the event log.

The request-id middleware (killer/middleware.py) sets it for the length of a request; rules._event
writes it on every Event. A context variable is local to a thread and, under gunicorn's gevent
workers, to a greenlet (gevent ≥ 20.x gives each greenlet its own context), so two requests served
by one worker never see each other's id. Outside a request (commands, the sheet sync) it is empty.
"""

from contextvars import ContextVar

request_id = ContextVar("request_id", default="")


class RequestIdFilter:
    """A logging filter that puts the request id on every log line (settings.LOGGING)."""

    def filter(self, record):
        record.request_id = request_id.get() or "-"
        return True
