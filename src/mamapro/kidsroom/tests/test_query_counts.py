"""List pages run the same number of queries whatever they list (pinned: one row vs three)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _same_for_one_and_three(client, url: str, add: Callable[[], object]) -> None:
    add()
    one = _queries(client, url)
    add()
    add()
    assert _queries(client, url) == one, url


@pytest.fixture
def now_session(make_session):
    now = timezone.now()
    return make_session(now - dt.timedelta(minutes=10), now + dt.timedelta(hours=2))


def test_alerts_incidents_report_and_shifts_pages(
    client, personas, now_session, on_shift, make_mother, kids_room
) -> None:
    now = timezone.now()
    on_shift(3, now - dt.timedelta(hours=1), now + dt.timedelta(hours=3))
    client.force_login(personas["coordinator"])

    def alert() -> None:
        child = make_mother(enrolled=False)
        Alert.objects.create(
            centre=child.centre,
            kind="check_out_blocked",
            child=child,
            adult=child.adults.get(),
            named="X",
        )

    _same_for_one_and_three(client, reverse("kidsroom:alerts"), alert)

    def incident() -> None:
        kids.record_incident(
            make_mother(),
            kind="injury",
            what_happened="Упал",
            action_taken="Лёд",
            parent_informed=True,
        )

    _same_for_one_and_three(client, reverse("kidsroom:incidents"), incident)

    def booking() -> None:
        kids.book(now_session, make_mother())

    _same_for_one_and_three(client, reverse("kidsroom:report"), booking)

    def shift() -> None:
        kids.add_shift(
            kids_room, personas["tutor"], now + dt.timedelta(hours=4), now + dt.timedelta(hours=5)
        )

    _same_for_one_and_three(client, reverse("kidsroom:shifts"), shift)
    _same_for_one_and_three(
        client, reverse("kidsroom:session_bookings", args=[now_session.pk]), booking
    )


def test_the_bookings_api_for_a_tutor(
    client, token_for, personas, now_session, on_shift, make_mother
) -> None:
    """Names shown as the tutor may see them (kidsroom.names) cost no query per booking."""
    now = timezone.now()
    on_shift(3, now - dt.timedelta(hours=1), now + dt.timedelta(hours=3))
    headers = token_for(personas["tutor"])

    def api_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/kidsroom/bookings", headers=headers)
            assert response.status_code == 200
        return len(ctx.captured_queries)

    api_queries()  # the token's first use is recorded once
    kids.book(now_session, make_mother())
    one = api_queries()
    kids.book(now_session, make_mother())
    kids.book(now_session, make_mother())
    assert api_queries() == one


def test_the_counselling_schedule(client, personas, make_women) -> None:
    from mamapro.counselling import services as counselling

    women = iter(make_women(3))
    hours = iter(range(9, 12))
    client.force_login(personas["psychologist"])
    day = timezone.localdate() + dt.timedelta(days=1)

    def appointment() -> None:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(next(hours))))
        counselling.book(
            personas["psychologist"], next(women), start, start + dt.timedelta(minutes=50)
        )

    _same_for_one_and_three(client, reverse("counselling:schedule") + f"?from={day}", appointment)


def test_the_audit_log(client, personas) -> None:
    from mamapro.core import audit
    from mamapro.core.models import AuditEntry

    client.force_login(personas["director"])
    _same_for_one_and_three(
        client,
        reverse("audit_log"),
        lambda: audit.record(AuditEntry.Action.SYSTEM, details={"x": 1}),
    )
