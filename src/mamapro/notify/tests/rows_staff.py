"""Permission rows for the staff's message pages and /deliveries (notify/views_staff.py,
notify/api.py): the care team's, at its own centres; the channels' health likewise; each
staff member's own alert contact for every role."""

from __future__ import annotations

from mamapro.core.tests.rows import ApiRow, Rows, WebRow, World, table

CARE_TEAM_HERE = dict(director=200, coordinator=200, outsider=404)
CARE_TEAM_ANYWHERE = dict(director=200, coordinator=200, outsider=200)
RETRY_POST = table(403, director=302, coordinator=302, outsider=404)


def _build(w: World) -> None:
    from mamapro.notify.models import Delivery

    failed = Delivery.objects.create(
        centre=w["almaty"],
        participant=w["aliased"],
        kind="reminder",
        channel="sms",
        language="kk",
        status=Delivery.Status.FAILED,
        reason="provider_error",
        error="HTTP 500",
        attempts=5,
        discreet=True,
        idempotency_key="rows-staff:failed",
        subject_type="programs.run",
        subject_id=str(w["run"].pk),
    )
    Delivery.objects.create(
        centre=w["almaty"],
        participant=w["participant"],
        kind="roster_message",
        channel="sms",
        language="kk",
        status=Delivery.Status.SENT,
        idempotency_key="rows-staff:sent",
        subject_type="programs.run",
        subject_id=str(w["run"].pk),
        text="Сабақ ертең 10:00-де.",
    )
    w.update(failed_delivery=failed)


def _ids(w: World) -> dict[str, int]:
    return {"delivery_id": w["failed_delivery"].pk}


ROWS = Rows(
    web={
        "notify_run_messages": WebRow(
            "get", table(403, **CARE_TEAM_HERE), lambda w: {"pk": w["run"].pk}
        ),
        "notify_failed": WebRow("get", table(403, **CARE_TEAM_ANYWHERE)),
        "notify_delivery_retry": WebRow(
            "post", RETRY_POST, lambda w: {"pk": w["failed_delivery"].pk}
        ),
        "notify_channels": WebRow("get", table(403, **CARE_TEAM_ANYWHERE)),
        "notify_my_contact": WebRow("get", table(200, norole=403)),
    },
    api={
        ("GET", "/deliveries"): ApiRow(table(403, **CARE_TEAM_ANYWHERE)),
        ("POST", "/deliveries/{delivery_id}/retry"): ApiRow(table(403, **CARE_TEAM_HERE)),
    },
    build=_build,
    path_ids=_ids,
)
