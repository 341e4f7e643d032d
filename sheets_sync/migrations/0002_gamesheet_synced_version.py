from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sheets_sync", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="gamesheet",
            name="synced_version",
            field=models.PositiveBigIntegerField(blank=True, editable=False, null=True),
        ),
    ]
