"""`./mamapro worker`: the background worker (django-tasks-db's database worker on the
"messages" and "default" queues). At its start it settles deliveries left in doubt by a
worker that died (`notify.sender.recover_in_doubt`) and wakes itself for anything already
due. Ctrl-C or SIGTERM: the message in hand is finished and recorded, the rest of its batch
goes back to the queue, then it exits."""

from __future__ import annotations

import datetime as dt
import logging
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from mamapro.core import audit
from mamapro.notify import recovery, sender, tasks


class _Worker(Worker):
    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        sender.STOP.set()  # send_due stops after the message in hand
        super().shutdown(signum, frame)


class Command(BaseCommand):
    help = (
        "Run the background worker: sends messages from the outbox (and runs any other task). "
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
            "--batch", action="store_true", help="run what is due, then stop (tests, cron)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(options["verbosity"], logging.DEBUG)
        for name in ("django_tasks", "django_tasks_db"):
            found = logging.getLogger(name)
            found.setLevel(level)
            if not found.hasHandlers():
                found.addHandler(logging.StreamHandler(self.stdout))
        lease = dt.timedelta(0) if options["only_worker"] else sender.LEASE
        with audit.acting_as(None, via="cli"):
            recovered = recovery.recover_in_doubt(lease=lease)
            tasks.ensure_wakeup(sender.Channels.load().names)
        if any((recovered.sent, recovered.requeued, recovered.in_doubt)):
            self.stdout.write(
                f"in doubt after a stop: {recovered.sent} found sent, "
                f"{recovered.requeued} queued again, {recovered.in_doubt} to check by hand"
            )
        self.stdout.flush()
        worker = _Worker(
            queue_names=[tasks.QUEUE, "default"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
