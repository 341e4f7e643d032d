"""A report names the target it was made on: a double tap or a phone's retry gets the kill the first
request made, and never lands on the next player in the chain, whom the killer never met."""

import pytest
from django.test import Client

from game import rules
from game.models import Kill
from tests.conftest import fresh, login

pytestmark = pytest.mark.django_db


def declare(phone, target):
    return phone.post("/api/kills", {"target": str(target.pk)}, content_type="application/json")


def test_a_double_tap_in_automatic_mode_kills_the_target_only(make_cast):
    cast = make_cast(confirmation_mode="automatic")
    phone = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)

    first, again = declare(phone, cast.victim), declare(phone, cast.victim)

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert not fresh(cast.victim).alive
    assert fresh(cast.bystander).alive  # the victim's target, never met
    assert fresh(cast.killer).kill_count == 1
    assert Kill.objects.count() == 1


def test_a_retry_in_victim_mode_makes_no_claim_on_the_next_target(make_cast):
    cast = make_cast(confirmation_mode="victim")
    phone = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    first = declare(phone, cast.victim)
    rules.kill_confirm(kill=Kill.objects.get(), actor="victim")

    again = declare(phone, cast.victim)

    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert not Kill.objects.open().exists()
    assert (
        login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.bystander).get("/api/me").json()["kill_against_me"]
        is None
    )


def test_a_retry_while_the_claim_waits_gets_the_claim(cast):
    phone = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    first, again = declare(phone, cast.victim), declare(phone, cast.victim)
    assert again.status_code == 201 and again.json() == first.json()
    assert Kill.objects.count() == 1


def test_a_report_on_a_target_that_changed_meanwhile_is_refused(cast):
    phone = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    rules.player_drop_out(player=cast.victim, actor="gm")  # the killer now hunts the bystander

    response = declare(phone, cast.victim)

    assert response.status_code == 409 and "target changed" in response.json()["error"]
    assert not Kill.objects.exists()


def test_a_report_without_its_target_is_a_400(cast):
    phone = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    for body in ({}, {"target": "bystander"}, {"target": "²"}, {"target": "9" * 30}):
        response = phone.post("/api/kills", body, content_type="application/json")
        assert response.status_code == 400, body
    assert not Kill.objects.exists()


def test_the_page_names_its_target_and_an_old_page_kills_nobody_else(make_cast):
    cast = make_cast(confirmation_mode="automatic")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.post("/", {"code": cast.killer.login_code})
    page = browser.get("/me/").content.decode()
    assert f'name="target" value="{cast.victim.pk}"' in page

    confirmed = {"target": cast.victim.pk, "confirmed": "yes"}
    browser.post("/me/declare/", confirmed)
    browser.post("/me/declare/", confirmed)  # the form sent twice

    assert not fresh(cast.victim).alive and fresh(cast.bystander).alive
    assert fresh(cast.killer).kill_count == 1


def test_the_same_death_code_twice_gets_the_same_kill_and_counts_no_wrong_guess(cast):
    phone = login(Client(HTTP_ACCEPT_LANGUAGE="en"), cast.killer)
    body = {"death_code": cast.victim.death_code}
    first = phone.post("/api/kills", body, content_type="application/json")
    again = phone.post("/api/kills", body, content_type="application/json")

    assert (first.status_code, again.status_code) == (201, 201) and first.json() == again.json()
    assert fresh(cast.bystander).alive and fresh(cast.killer).kill_count == 1


def test_a_revived_victim_can_be_killed_with_their_code_again(cast):
    rules.kill_with_death_code(killer=cast.killer, death_code=cast.victim.death_code, actor="killer")
    rules.player_revive(player=cast.victim, actor="gm", after=fresh(cast.killer))

    kill = rules.kill_with_death_code(killer=cast.killer, death_code=cast.victim.death_code, actor="killer")

    assert kill.status == "confirmed" and Kill.objects.confirmed().count() == 2
    assert not fresh(cast.victim).alive
