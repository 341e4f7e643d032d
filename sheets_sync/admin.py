"""Game masters link a game to its Google Sheet here, and see how the last sync went."""

from django.contrib import admin

from sheets_sync.models import GameSheet


@admin.register(GameSheet)
class GameSheetAdmin(admin.ModelAdmin):
    list_display = ["game", "spreadsheet_key", "last_success_at", "last_run_at", "last_error", "calls"]
    list_select_related = ["game"]
    fields = [
        "game",
        "spreadsheet_key",
        "publish_login_codes",
        "last_run_at",
        "last_success_at",
        "last_error",
        "last_duration",
        "calls",
        "rows_created",
        "rows_updated",
        "warnings",
    ]
    # Written by sync_sheets only.
    readonly_fields = fields[3:]
