"""Lift a lockout of the admin's login: `unlock_admin <username>` or `unlock_admin --all`."""

from django.core.management.base import BaseCommand, CommandError

from game import ratelimit


class Command(BaseCommand):
    help = (
        "Lift the lock that wrong passwords put on an admin user name, or (--all) every admin login limit: "
        "user names, browsers, devices and addresses."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("--all", action="store_true", help="every admin login limit")

    def handle(self, *args, username=None, **options):
        if bool(username) == options["all"]:
            raise CommandError("Give a user name or --all (not both).")
        if options["all"]:
            self.stdout.write(f"Lifted every admin login limit ({ratelimit.admin_unlock_all()} counters).")
        else:
            failures = ratelimit.admin_unlock(username)
            self.stdout.write(f"Lifted the lock on {username!r} ({failures} failed passwords this hour).")
