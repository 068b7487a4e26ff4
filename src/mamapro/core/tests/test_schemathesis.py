"""The API against its own OpenAPI schema, with Schemathesis: generated requests for every
operation (valid and invalid data alike), no server error, every response as the schema says.

Driven through Schemathesis's Python API rather than its pytest plugin, one Hypothesis run per
operation inside one test, so the fixtures' database stays one transaction. Every check runs
but "schema-valid data is accepted": the API enforces rules no schema states (a phone's
format, an IIN's checksum, a record the user may not see), and refuses such data with a 422
that names the field — which the schema does document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import ignored_auth, positive_data_acceptance

pytestmark = pytest.mark.django_db

EXAMPLES = 15


@pytest.fixture
def api_schema(db: Any) -> Iterator[Any]:
    """The schema as the running app serves it, called in-process through WSGI. As Django's
    test client does, requests must not close the test's database connection."""
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _exercise(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    calls: dict[str, int],
    failures: list[str],
) -> None:
    label = f"{operation.label} ({mode.value})"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case: Any) -> None:
        calls[label] = calls.get(label, 0) + 1
        # The token is the director's, whatever the generator put in the headers.
        case.headers = {**(case.headers or {}), **headers}
        try:
            # "ignored_auth": every call carries the director's valid token, so a negated
            # security header is overwritten; a missing or bad token answering 401 on every
            # operation is test_permissions.py's test_api_needs_a_valid_token.
            case.call_and_validate(excluded_checks=[positive_data_acceptance, ignored_auth])
        except (Exception, BaseExceptionGroup) as exc:  # failed checks: reported together
            failures.append(f"{label}: {str(exc)[:800]}")

    run()


def test_the_api_keeps_its_contract(api_schema, personas, child, token_for) -> None:
    headers = token_for(personas["director"])
    failures: list[str] = []
    calls: dict[str, int] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 50
    for operation in operations:
        # Valid data (nothing may break) and invalid data (it must be refused, never a 500).
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _exercise(operation, mode, headers, calls, failures)
    total = sum(calls.values())
    print(f"schemathesis: {len(operations)} operations, {total} generated requests")
    assert not failures, "\n\n".join(failures[:15]) + f"\n\n({len(failures)} failures)"
