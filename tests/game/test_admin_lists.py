"""The admin lists: columns, filters and search, what they cost in queries, and the read-only event log."""

from django.urls import reverse

from game.models import Event, Mission

# Measured: players 9, kills 8, events 9, games 7 (session and user included), whatever the count of rows.
MAX_QUERIES = 10


def test_player_list_of_a_thousand_costs_a_handful_of_queries(
    gm_client, big_game, django_assert_max_num_queries
):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = gm_client.get(reverse("admin:game_player_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1000


def test_player_list_filters_and_search(gm_client, big_game, django_assert_max_num_queries):
    url = reverse("admin:game_player_changelist")
    with django_assert_max_num_queries(MAX_QUERIES):
        response = gm_client.get(
            url, {"alive__exact": "1", "game__id__exact": big_game.pk, "group": "Class 3"}
        )
    assert response.context["cl"].result_count == 84

    response = gm_client.get(url, {"q": "Player 0042"})
    assert [p.name for p in response.context["cl"].result_list] == ["Player 0042"]


def test_the_group_filter_names_the_players_without_a_group(gm_client, cast):
    """Django lists a blank group as a link with no text, which nobody can read or tap."""
    url = reverse("admin:game_player_changelist")
    response = gm_client.get(url)
    assert '<a href="?group=">No group</a>' in response.content.decode()

    response = gm_client.get(url, {"group": ""})
    assert response.context["cl"].result_count == 4


def test_kill_list_costs_a_handful_of_queries(gm_client, big_game, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = gm_client.get(reverse("admin:game_kill_changelist"), {"status__exact": "cancelled"})

    assert response.context["cl"].result_count == 300


def test_event_list_costs_a_handful_of_queries(gm_client, big_game, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = gm_client.get(reverse("admin:game_event_changelist"))

    assert response.context["cl"].result_count == 1000


def test_game_and_mission_lists(gm_client, big_game, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = gm_client.get(reverse("admin:game_game_changelist"))
    game = response.context["cl"].result_list[0]
    assert (game.player_total, game.players_alive, game.open_kills) == (1000, 1000, 0)

    with django_assert_max_num_queries(MAX_QUERIES):
        assert gm_client.get(reverse("admin:game_mission_changelist")).status_code == 200


def test_the_event_log_is_read_only(gm_client, running_game):
    event = Event.objects.create(game=running_game, kind="game_started", actor="gm:gm")

    assert gm_client.get(reverse("admin:game_event_add")).status_code == 403
    response = gm_client.post(reverse("admin:game_event_change", args=[event.pk]), {"kind": "forged"})
    assert response.status_code == 403
    assert (
        gm_client.post(reverse("admin:game_event_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    event.refresh_from_db()
    assert event.kind == "game_started"
    assert gm_client.get(reverse("admin:game_event_change", args=[event.pk])).status_code == 200


def test_a_mission_of_a_live_game_cannot_be_deleted(gm_client, running_game):
    mission = running_game.missions.first()

    response = gm_client.post(reverse("admin:game_mission_delete", args=[mission.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Mission.objects.filter(pk=mission.pk).exists()
