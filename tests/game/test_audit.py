"""The event log: every change says who made it and from which request, and nobody edits it."""

import pytest
from django.test import Client

from game import rules
from game.models import Event
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_events_record_the_request_id_of_the_request_that_made_them(cast):
    killer = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    response = killer.post(
        "/api/kills",
        {"target": str(cast.victim.pk)},
        content_type="application/json",
        HTTP_X_REQUEST_ID="phone-req-0001",
    )
    assert response.status_code == 201 and response["X-Request-ID"] == "phone-req-0001"
    event = Event.objects.get(kind="kill_declared")
    assert event.request_id == "phone-req-0001"
    assert event.actor == rules.actor_for_player(cast.killer)


def test_a_page_request_gets_a_fresh_id_in_its_events(cast):
    victim = Client(HTTP_ACCEPT_LANGUAGE="en")
    victim.post("/", {"code": cast.victim.login_code})
    response = victim.post("/me/death/", {"confirmed": "yes"})
    event = Event.objects.get(kind="kill_confirmed")
    assert len(event.request_id) == 32 and event.request_id == response["X-Request-ID"]


def test_game_master_actions_record_the_request_id_too(gm_client, cast):
    response = gm_client.post(
        f"/admin/game/game/{cast.game.pk}/do/pause/", HTTP_X_REQUEST_ID="gm-laptop-0042"
    )
    assert response.status_code == 302
    event = Event.objects.get(kind="game_paused")
    assert (event.actor, event.request_id) == ("gm:gm", "gm-laptop-0042")


def test_outside_a_request_the_request_id_is_empty(cast):
    rules.game_pause(game=cast.game, actor="command")
    assert Event.objects.get(kind="game_paused").request_id == ""


def test_the_event_log_cannot_be_added_to_changed_or_deleted_from_the_admin(client, django_user_model, cast):
    root = django_user_model.objects.create_superuser("root", password="root-password")
    client.force_login(root)
    event = Event.objects.filter(game=cast.game).first()
    before = list(Event.objects.values_list("pk", "kind", "actor", "data"))
    assert client.get("/admin/game/event/").status_code == 200
    assert client.get("/admin/game/event/add/").status_code == 403
    assert (
        client.post(
            "/admin/game/event/add/", {"kind": "forged", "actor": "x", "game": cast.game.pk}
        ).status_code
        == 403
    )
    change = client.post(f"/admin/game/event/{event.pk}/change/", {"kind": "forged", "actor": "x"})
    assert change.status_code in (200, 403)
    assert client.post(f"/admin/game/event/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/game/event/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert list(Event.objects.values_list("pk", "kind", "actor", "data")) == before
    from game.admin import EventAdmin

    admin = EventAdmin(Event, None)
    assert not admin.has_add_permission(None)
    assert not admin.has_change_permission(None, event)
    assert not admin.has_delete_permission(None, event)
