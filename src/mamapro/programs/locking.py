"""The run lock: the one way into a run's seats.

Inside `locked_run`, the run's row is locked (SELECT … FOR UPDATE on PostgreSQL; on SQLite
the transaction itself takes the database's write lock up front, see settings), so two
enrollments for the same run queue one behind the other: each recounts the seats from the
enrollment rows and writes before the next one looks.

`LOCKING` exists for one reason: the concurrency test switches it off to show that without
the lock the seats really do overbook. Nothing else may touch it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from mamapro.programs.models import Run

LOCKING = True


def between_count_and_write() -> None:
    """Where a race would strike; the concurrency test widens it with a short sleep."""


@contextmanager
def locked_run(run_id: int) -> Iterator[Run]:
    if not LOCKING:
        yield Run.objects.select_related("course").get(pk=run_id)
        return
    with transaction.atomic():
        yield Run.objects.select_for_update(of=("self",)).select_related("course").get(pk=run_id)
