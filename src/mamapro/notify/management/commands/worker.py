"""`./mamapro worker`: the background worker (django-tasks-db's `db_worker` on the "messages"
and "default" queues). At its start it settles deliveries left in doubt by a worker that died
(`notify.sender.recover_in_doubt`) and wakes itself for anything already due."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from mamapro.core import audit
from mamapro.notify import sender, tasks


class Command(BaseCommand):
    help = (
        "Run the background worker: sends messages from the outbox (and any other task). "
        "Ctrl-C stops it after the message in hand."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only-worker",
            action="store_true",
            help="this is the only worker: a delivery still 'sending' is in doubt now, not "
            "after the lease (what the demo does)",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between looks for work when idle (1)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="run what is due, then stop (for tests and cron)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        lease = dt.timedelta(0) if options["only_worker"] else sender.LEASE
        with audit.acting_as(None, via="cli"):
            recovered = sender.recover_in_doubt(lease=lease)
            tasks.ensure_wakeup(sender.Channels.load().names)
        if any((recovered.sent, recovered.requeued, recovered.in_doubt)):
            self.stdout.write(
                f"in doubt after a stop: {recovered.sent} found sent, "
                f"{recovered.requeued} queued again, {recovered.in_doubt} to check by hand"
            )
        call_command(
            "db_worker",
            queue_name=f"{tasks.QUEUE},default",
            interval=options["interval"],
            batch=options["batch"],
            reload=False,
            startup_delay=False,
            verbosity=options["verbosity"],
        )
