"""Player versions become stamps: the game's version when the player's page last changed.

Until now a player's version counted their own changes and could run ahead of their game's. Moving
each game's version past its players' makes every stamp from now on a version no phone holds yet.
"""

from django.db import migrations
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest


def move_game_versions_past_players(apps, schema_editor):
    Game = apps.get_model("game", "Game")
    Player = apps.get_model("game", "Player")
    highest = Player.objects.filter(game=OuterRef("pk")).order_by().values("game").annotate(v=Max("version"))
    Game.objects.update(version=Greatest(F("version"), Coalesce(Subquery(highest.values("v")), 0)) + 1)


class Migration(migrations.Migration):
    dependencies = [
        ("game", "0005_player_version"),
    ]

    operations = [
        migrations.RunPython(move_game_versions_past_players, migrations.RunPython.noop),
    ]
