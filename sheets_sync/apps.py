from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SheetsSyncConfig(AppConfig):
    name = "sheets_sync"
    verbose_name = _("Google Sheets sync")

    def ready(self):
        from game import rules
        from sheets_sync.models import forget_personal_data

        rules.personal_data_erased.connect(
            forget_personal_data, dispatch_uid="sheets_sync.forget_personal_data"
        )
