"""``manage.py seed_demo``: fill the database with demo tenants and an admin login."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS

from tenants.seed import DEMO_PASSWORD, seed

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"


class Command(BaseCommand):
    help = (
        "Replace the tenants data with deterministic demo organisations and create "
        f"the superuser {ADMIN_USERNAME}/{ADMIN_PASSWORD} if it does not exist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisations", type=int, default=3, metavar="N")
        parser.add_argument(
            "--meetings", type=int, default=4, metavar="N", help="Meetings per organisation."
        )
        parser.add_argument(
            "--items", type=int, default=5, metavar="N", help="Agenda items per meeting."
        )
        parser.add_argument("--rng-seed", type=int, default=7, metavar="N")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, metavar="ALIAS")

    def handle(self, *args: Any, **options: Any) -> None:
        database: str = options["database"]
        counts = seed(
            organisations=options["organisations"],
            meetings_per_org=options["meetings"],
            items_per_meeting=options["items"],
            rng_seed=options["rng_seed"],
            using=database,
        )
        width = max(len(label) for label in counts)
        for label, count in counts.items():
            self.stdout.write(f"{label:<{width}}  {count:>8}")
        self.stdout.write(f"Demo users user01.. have the password {DEMO_PASSWORD!r}.")

        manager = get_user_model()._default_manager.db_manager(database)
        if manager.filter(username=ADMIN_USERNAME).exists():
            self.stdout.write(f"Superuser {ADMIN_USERNAME!r} already exists (unchanged).")
        else:
            manager.create_superuser(
                ADMIN_USERNAME, f"{ADMIN_USERNAME}@example.org", ADMIN_PASSWORD
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created superuser {ADMIN_USERNAME!r} with password {ADMIN_PASSWORD!r}."
                )
            )
