"""`./mamapro tick`: everything that happens because time passed, run every minute (the demo
runs it by itself; in production from cron or a systemd timer)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from mamapro.core import audit
from mamapro.notify import recovery, sender, tasks


class Command(BaseCommand):
    help = (
        "Time-driven work, every minute: the programmes' tick (offers, seats, runs, votes), "
        "then messages: reminders due, deliveries left in doubt by a stopped worker, the "
        "worker woken for messages whose time came, statuses asked of the providers."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("programs", "tick", stdout=self.stdout, stderr=self.stderr)
        now = timezone.now()
        with audit.acting_as(None, via="cli"):
            reminders = _schedule(now)
            channels = sender.Channels.load()
            recovered = recovery.recover_in_doubt(now, channels=channels)
            woke = tasks.ensure_wakeup(channels.names, now=now)
            polled = recovery.poll_statuses(now, channels=channels)
        # Finished wake-up tasks are only bookkeeping (the outbox rows are the record).
        call_command("prune_db_task_results", queue_name="*", min_age_days=7, verbosity=0)
        if reminders is not None:
            self.stdout.write(
                f"reminders queued: {reminders.reminders} (sessions tomorrow: {reminders.sessions})"
            )
        self.stdout.write(
            f"messages in doubt: {recovered.sent} found sent, {recovered.requeued} queued "
            f"again, {recovered.in_doubt} to check by hand"
        )
        self.stdout.write(f"worker woken: {'yes' if woke else 'no'}")
        self.stdout.write(f"statuses updated: {polled}")


def _schedule(now: Any) -> Any:
    """The triggers' calendar (reminders the day before a session)."""
    try:
        from mamapro.notify import schedule
    except ImportError:  # not installed in this checkout yet
        return None
    return schedule.run(now)
