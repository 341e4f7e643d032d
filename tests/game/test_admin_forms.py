"""What the admin's forms edit (a game's name, its missions) goes through the rules: an Event, and the
pages of the players who see it change under their next poll."""

import pytest
from django.test import Client
from django.urls import reverse

from game import rules
from game.models import Event, Mission
from tests.conftest import login


@pytest.fixture
def phone(victim):
    """The victim's phone, holding the ETag of their page."""
    phone = login(Client(HTTP_ACCEPT_LANGUAGE="en"), victim)
    phone.tag = phone.get("/api/me")["ETag"]
    return phone


def poll(phone):
    return phone.get("/api/me", HTTP_IF_NONE_MATCH=phone.tag)


def game_form(game, *, name=None, missions=None, delete=()):
    """The game's change form as the admin posts it: its name and its missions inline, some of them
    reworded ({mission: (text, active)}) or ticked for deletion."""
    data = {"name": name or game.name}
    current = list(game.missions.order_by("pk"))
    data.update({"missions-TOTAL_FORMS": str(len(current)), "missions-INITIAL_FORMS": str(len(current))})
    data.update({"forbidden_pairs-TOTAL_FORMS": "0", "forbidden_pairs-INITIAL_FORMS": "0"})
    for i, mission in enumerate(current):
        text, active = (missions or {}).get(mission, (mission.text, mission.active))
        data[f"missions-{i}-id"], data[f"missions-{i}-game"] = mission.pk, game.pk
        data[f"missions-{i}-text"] = text
        if active:
            data[f"missions-{i}-active"] = "on"
        if mission in delete:
            data[f"missions-{i}-DELETE"] = "on"
    return data


def test_renaming_a_game_is_logged_and_every_page_shows_it(
    gm_client, running_game, phone, django_capture_on_commit_callbacks
):
    url = reverse("admin:game_game_change", args=[running_game.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = gm_client.post(url, game_form(running_game, name="Winter game"))

    assert response.status_code == 302
    event = Event.objects.get(kind="game_renamed")
    assert (event.actor, event.data["changes"]) == ("gm:gm", {"name": ["Spring game", "Winter game"]})
    changed = poll(phone)
    assert changed.status_code == 200
    assert changed.json()["game"]["name"] == "Winter game"


def test_rewording_a_mission_inline_reaches_its_holder(
    gm_client, running_game, victim, phone, django_capture_on_commit_callbacks
):
    mission = victim.mission
    url = reverse("admin:game_game_change", args=[running_game.pk])
    with django_capture_on_commit_callbacks(execute=True):
        gm_client.post(url, game_form(running_game, missions={mission: ("Sing their name", True)}))

    assert Event.objects.get(kind="mission_updated").data["changes"] == {
        "text": [mission.text, "Sing their name"]
    }
    changed = poll(phone)
    assert changed.status_code == 200
    assert changed.json()["mission"] == "Sing their name"


def test_rewording_a_mission_in_its_own_form_reaches_its_holder(
    gm_client, victim, phone, django_capture_on_commit_callbacks
):
    mission = victim.mission
    url = reverse("admin:game_mission_change", args=[mission.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = gm_client.post(url, {"text": "Sing their name", "active": "on"})

    assert response.status_code == 302
    assert Event.objects.get(kind="mission_updated").actor == "gm:gm"
    assert poll(phone).json()["mission"] == "Sing their name"


def test_taking_a_mission_out_of_the_pool_changes_no_page(
    gm_client, victim, phone, django_capture_on_commit_callbacks
):
    mission = victim.mission
    url = reverse("admin:game_mission_change", args=[mission.pk])
    with django_capture_on_commit_callbacks(execute=True):
        gm_client.post(url, {"text": mission.text})

    mission.refresh_from_db()
    assert mission.active is False
    assert Event.objects.get(kind="mission_updated").data["changes"] == {"active": [True, False]}
    assert poll(phone).status_code == 304


def test_missions_added_in_the_admin_are_logged(gm_client, running_game):
    wave = {"game": running_game.pk, "text": "Wave", "active": "on"}
    gm_client.post(reverse("admin:game_mission_add"), wave)
    form = game_form(running_game)
    form.update({"missions-TOTAL_FORMS": str(int(form["missions-TOTAL_FORMS"]) + 1)})
    last = int(form["missions-INITIAL_FORMS"])
    form.update({f"missions-{last}-game": running_game.pk, f"missions-{last}-text": "Bow"})
    gm_client.post(reverse("admin:game_game_change", args=[running_game.pk]), form)

    added = {event.data["text"]: event.data["active"] for event in Event.objects.filter(kind="mission_added")}
    assert added == {"Wave": True, "Bow": False}
    assert set(running_game.missions.values_list("text", flat=True)) >= {"Wave", "Bow"}


def test_missions_of_a_game_in_setup_are_deleted_through_the_rules(gm_client, setup_game):
    first, second, _third = setup_game.missions.order_by("pk")

    gm_client.post(reverse("admin:game_mission_delete", args=[first.pk]), {"post": "yes"})
    gm_client.post(
        reverse("admin:game_game_change", args=[setup_game.pk]), game_form(setup_game, delete=[second])
    )

    assert not Mission.objects.filter(pk__in=[first.pk, second.pk]).exists()
    deleted = Event.objects.filter(kind="mission_deleted").values_list("data__text", flat=True)
    assert sorted(deleted) == sorted([first.text, second.text])


def test_a_mission_cannot_be_deleted_once_the_game_is_under_way(running_game):
    mission = running_game.missions.first()

    with pytest.raises(rules.RuleError, match="take the mission out of the pool"):
        rules.mission_delete(mission=mission, actor="gm:gm")

    assert Mission.objects.filter(pk=mission.pk).exists()


def test_a_save_refused_by_the_rules_says_why_and_changes_nothing(gm_client, setup_game, monkeypatch):
    """The game started between the form's load and its save: the deletion is refused."""
    mission = setup_game.missions.first()

    def started_meanwhile(**kwargs):
        raise rules.RuleError("The game is under way: take the mission out of the pool instead.")

    monkeypatch.setattr(rules, "mission_delete", started_meanwhile)
    url = reverse("admin:game_game_change", args=[setup_game.pk])
    response = gm_client.post(url, game_form(setup_game, name="Renamed", delete=[mission]), follow=True)

    assert "take the mission out of the pool" in " ".join(str(m) for m in response.context["messages"])
    setup_game.refresh_from_db()
    assert setup_game.name == "Spring game"  # the whole save was rolled back
    assert not Event.objects.filter(kind="game_renamed").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "A game needs a name."),
        ("x" * 101, "at most 100 fit"),
        ("Spring\u202egame", "Control characters"),
    ],
)
def test_a_game_name_the_rules_refuse(running_game, name, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.game_rename(game=running_game, name=name, actor="gm:gm")
