"""Permission rows for her offer link (`/offers/<token>`): a public page, no login; the
token is the only key, so every persona (signed in or not) sees the same page."""

from __future__ import annotations

import datetime as dt

from mamapro.core.tests.rows import ALL_OK, Rows, WebRow, World


def _build(w: World) -> None:
    from django.utils import timezone

    from mamapro.notify import offer_links
    from mamapro.programs.models import Course, Enrollment, Run

    today = timezone.localdate()
    course = Course.objects.create(title="Шитьё для начинающих", category="other", language="ru")
    run = Run.objects.create(
        course=course,
        centre=w["almaty"],
        starts_on=today + dt.timedelta(days=7),
        ends_on=today + dt.timedelta(days=30),
        paid_seats=1,
        free_seats=0,
    )
    now = timezone.now()
    # Written as the seat service leaves an offer (no message is needed for the table).
    offered = Enrollment.objects.create(
        run=run,
        centre=w["almaty"],
        participant=w["participant"],
        seat_type=Enrollment.SeatType.PAID,
        status=Enrollment.Status.OFFERED,
        offered_at=now,
        offer_expires_at=now + dt.timedelta(hours=48),
    )
    w["offer_token"] = offer_links.make_token(offered)


ROWS = Rows(
    web={
        "notify_offer": WebRow("get", ALL_OK, lambda w: {"token": w["offer_token"]}, public=True),
    },
    build=_build,
)
