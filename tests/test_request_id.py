"""The request id under gunicorn's gevent workers: each greenlet keeps its own."""

import gevent
from django.http import HttpResponse
from django.test import RequestFactory

from game import audit
from killer.middleware import RequestIdMiddleware


def test_requests_served_by_one_worker_at_once_keep_their_own_request_id():
    seen = {}

    def view(request):
        # Let the other greenlets run in between, as a worker does while one waits on the database.
        gevent.sleep(0.01)
        seen[request.id] = audit.request_id.get()
        return HttpResponse()

    middleware = RequestIdMiddleware(view)
    ids = [f"greenlet-{i:04}" for i in range(20)]
    requests = [RequestFactory().get("/", HTTP_X_REQUEST_ID=request_id) for request_id in ids]
    greenlets = [gevent.spawn(middleware, request) for request in requests]
    gevent.joinall(greenlets, raise_error=True)
    assert seen == {request_id: request_id for request_id in ids}
    assert [g.value["X-Request-ID"] for g in greenlets] == ids
    # And nothing is left behind for whatever the worker serves next.
    assert audit.request_id.get() == ""
