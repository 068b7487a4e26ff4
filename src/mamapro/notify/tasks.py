"""The background task that sends what is due, and the bookkeeping that wakes it.

Tasks only wake the worker (DESIGN.md §3): the outbox rows carry the attempts and the next
try. `django-tasks` with the database backend writes the task row in the caller's
transaction (`ENQUEUE_ON_COMMIT = False`), so a rolled-back enrollment leaves neither a
delivery nor a task.

One task per transaction is enough: `wake_in_transaction(at)` remembers (per thread and
database alias) the task it wrote in the transaction still open; a later call in the same
transaction finds it (still READY, invisible to any worker until the commit) and writes
nothing. The memory is forgotten at commit (`on_commit` is only used to forget, never to
enqueue); after a rollback the remembered task row is gone, so the check finds nothing and a
new one is written. A bulk `queue_many` of 10,000 writes one task row.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult, get_date_max

QUEUE = "messages"


@task(queue_name=QUEUE)
def send_due_task() -> int:
    """Send every delivery that is due; returns how many went."""
    from mamapro.notify import sender

    return sender.send_due()


@dataclass
class _Remembered:
    task_id: str
    run_after: dt.datetime  # its wake-up time (the enqueue moment when "now")


_local = threading.local()


def _remembered() -> dict[str, _Remembered]:
    if not hasattr(_local, "tasks"):
        _local.tasks = {}
    found: dict[str, _Remembered] = _local.tasks
    return found


def _path() -> str:
    return str(send_due_task.module_path)


def enqueue(at: dt.datetime | None = None, *, now: dt.datetime | None = None) -> str:
    """Write one task row (in the caller's transaction); `at` in the future defers it."""
    now = now or timezone.now()
    chosen = send_due_task if at is None or at <= now else send_due_task.using(run_after=at)
    return str(chosen.enqueue().id)


def wake_in_transaction(at: dt.datetime | None = None, *, using: str = DEFAULT_DB_ALIAS) -> str:
    """Make sure a task will run at `at` (None: now) for what this transaction queues;
    returns the task id (the one already written in this transaction when it serves)."""
    now = timezone.now()
    when = max(at or now, now)
    memory = _remembered()
    known = memory.get(using)
    if (
        known is not None
        and known.run_after <= when
        and DBTaskResult.objects.using(using).filter(id=known.task_id, status="READY").exists()
    ):
        return known.task_id
    task_id = enqueue(at, now=now)
    memory[using] = _Remembered(task_id, when)
    conn = transaction.get_connection(using)
    if conn.in_atomic_block:

        def forget(alias: str = using, tid: str = task_id) -> None:
            entry = _remembered().get(alias)
            if entry is not None and entry.task_id == tid:
                del _remembered()[alias]

        transaction.on_commit(forget, using=using)
    else:
        memory.pop(using, None)
    return task_id


def pending_by(at: dt.datetime) -> bool:
    """Is a send task waiting that will run at or before `at`?"""
    return (
        DBTaskResult.objects.filter(task_path=_path(), status="READY")
        .filter(Q(run_after__lte=at) | Q(run_after=get_date_max()))
        .exists()
    )


def ensure_wakeup(channels: set[str] | None = None, *, now: dt.datetime | None = None) -> bool:
    """After a run (and on every tick): if a delivery on a working channel is queued or
    waiting, make sure a task will run when the first of them is due. True if one was
    written."""
    from mamapro.notify.models import Delivery

    now = now or timezone.now()
    rows = Delivery.objects.filter(status__in=(Delivery.Status.QUEUED, Delivery.Status.WAITING))
    if channels is not None:
        rows = rows.filter(channel__in=channels)
    first = rows.aggregate(first=Min("send_after"))["first"]
    if first is None:
        return False
    when = max(first, now)
    if pending_by(when):
        return False
    enqueue(when, now=now)
    return True
