from __future__ import annotations

import os
import signal
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from mamapro.demo.loader import load
from mamapro.demo.logins import DEMO_PASSWORD, LOGINS


class Command(BaseCommand):
    help = "Migrate, load the demo data (idempotently) and serve the platform on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port to serve on (8000)")
        parser.add_argument("--no-serve", action="store_true", help="prepare the database and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        if not 1 <= port <= 65535:
            self.stderr.write(f"--port must be between 1 and 65535, not {port}.")
            raise SystemExit(2)
        database = settings.DATABASES["default"]
        self.stdout.write(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        created = load()
        self.stdout.write(
            f"Demo data ready (new this run: {created['participants']} participants, "
            f"{created['children']} children, {created['runs']} runs)."
        )
        url = f"http://127.0.0.1:{port}/"
        # Links in messages (her offer link) point here unless SITE_URL says otherwise; the
        # worker and the tick (child processes) inherit it.
        if not settings.SITE_URL:
            settings.SITE_URL = url.rstrip("/")
            os.environ["SITE_URL"] = settings.SITE_URL
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Mama Pro Centre: {url}"))
        self.stdout.write(f"API docs:        {url}api/v1/docs")
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        for login in LOGINS:
            where = ", ".join(login.centres) or "all centres"
            extra = ", Django admin" if login.superuser else ""
            self.stdout.write(f"  {login.username:<20} {login.role} ({where}{extra})")
        self.stdout.write("")
        if options["no_serve"]:
            return
        # The whole centre in one command: the worker sends the messages, the tick runs every
        # minute (offers that expire, reminders); both stop with the server (Ctrl-C).
        from mamapro.notify.background import Background

        self.stdout.write("Messages: the worker and the minute tick run alongside the server.")
        self.stdout.write(
            "  Email goes to files under var/mail/; SMS, WhatsApp and Telegram wait as "
            "'provider not configured' until their variables are set (README)."
        )
        background = Background()
        background.start()
        # A service manager stops with SIGTERM: end as on Ctrl-C, children included.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, skip_checks=True)
        finally:
            background.stop()
