from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mamapro.core import audit
from mamapro.programs.services import attendance, enrollment


class Command(BaseCommand):
    help = "Programme housekeeping; `tick` is what the worker or cron runs every few minutes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "tick",
            help="expire lapsed seat offers and holds of public applications (the seat passes "
            "to the next in line), release unsold paid seats when due, close finished runs "
            "(completion and certificates), count the votes sent from the public site, "
            "forget old rate-limit counts",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The public site's part of the tick (it builds on the programmes, not the reverse).
        from mamapro.public import throttle
        from mamapro.public.services import topics

        with audit.acting_as(None, via="cli"):
            expired = enrollment.expire_offers()
            released = enrollment.release_due_paid_seats()
            sweep = attendance.close_finished_runs()
            votes = topics.count_pending_votes()
            throttle.prune()
        self.stdout.write(f"offers expired: {expired}")  # public holds are offers too
        self.stdout.write(f"paid seats released: {released}")
        self.stdout.write(
            f"runs closed: {sweep.closed} "
            f"(completed: {sweep.completed}, not completed: {sweep.not_completed})"
        )
        self.stdout.write(f"public votes counted: {votes}")
        if sweep.stuck:
            ids = ", ".join(str(pk) for pk in sweep.stuck)
            self.stderr.write(f"runs that ended but cannot close (no sessions): {ids}")
