"""The room lock: the one way to change who is in a kids' room, and when.

Inside `locked_room`, the room's row is locked (SELECT … FOR UPDATE on PostgreSQL; on SQLite
the transaction takes the database's write lock up front), so two bookings for overlapping
sessions queue one behind the other: each recounts children and tutors from the rows and
writes before the next one looks.

`LOCKING` exists for one reason: the concurrency test switches it off to show that without
the lock the room really does overfill. Nothing else may touch it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from mamapro.centres.models import Room

LOCKING = True


def between_count_and_write() -> None:
    """Where a race would strike; the concurrency test widens it with a short sleep."""


@contextmanager
def locked_room(room_id: int) -> Iterator[Room]:
    if not LOCKING:
        # No transaction around the count: the service writes in one of its own.
        yield Room.objects.get(pk=room_id)
        return
    with transaction.atomic():
        yield Room.objects.select_for_update().get(pk=room_id)
