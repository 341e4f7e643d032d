from django.apps import AppConfig


class SheetsSyncConfig(AppConfig):
    name = "sheets_sync"
    verbose_name = "Google Sheets sync"
