"""Concurrent writers queue on the chain head: the chain never forks, on either database."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from mamapro.core import audit
from mamapro.core.models import AuditEntry

THREADS = 6
PER_THREAD = 8


@pytest.mark.django_db(transaction=True)
def test_parallel_appends_keep_one_unbroken_chain() -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(PER_THREAD):
                audit.record(AuditEntry.Action.SYSTEM, details={"thread": n, "i": i})
        except BaseException as exc:  # reported below, with the thread's own traceback lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert AuditEntry.objects.count() == THREADS * PER_THREAD
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(
        range(1, THREADS * PER_THREAD + 1)
    )
    result = audit.verify_chain()
    assert result.ok, result
