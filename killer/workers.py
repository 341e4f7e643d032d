"""The gunicorn worker the server runs by default (config/gunicorn.conf.py): gevent, as designed.

gunicorn's own gevent worker parses HTTP in gunicorn's Python; its `gevent_pywsgi` worker leaves that
to gevent's server, which does the same work for less CPU per poll (docs/load-tests.md). gevent's
server closes no idle connection, though: a phone that vanished without closing its connection would
hold it for good. This worker closes a connection idle for `keepalive` seconds, as gunicorn's own does.
"""

import signal

from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler


class IdleTimeoutHandler(PyWSGIHandler):
    idle_seconds = None  # set by the worker from gunicorn's `keepalive`

    def handle(self):
        # Every read and write on the connection waits at most this long; a read that times out
        # between requests ends the connection quietly (gevent's handler treats it as a closed one).
        self.socket.settimeout(self.idle_seconds)
        super().handle()


class GeventWorker(GeventPyWSGIWorker):
    def init_process(self):
        self.wsgi_handler = type("Handler", (IdleTimeoutHandler,), {"idle_seconds": self.cfg.keepalive})
        super().init_process()

    def init_signals(self):
        super().init_signals()
        # Ctrl-C in a terminal signals the whole process group. The master stops the workers on its
        # own (SIGQUIT); a worker that also quit on the terminal's SIGINT would exit twice and print
        # gevent's SystemExit traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
