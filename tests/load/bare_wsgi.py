"""A WSGI app that answers every request 304, for tests/load/sparse.py: the cost of a request in
gunicorn, gevent and the kernel, without Django."""


def application(environ, start_response):
    start_response("304 Not Modified", [("ETag", '"bare"')])
    return []
