from django.apps import AppConfig


class KillerConfig(AppConfig):
    name = "killer"
    verbose_name = "Killer (the project)"

    def ready(self):
        from killer import checks  # noqa: F401 -- registers them
