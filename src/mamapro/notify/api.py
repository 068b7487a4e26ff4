"""API: /deliveries and /deliveries/{id}/retry (API.md "Messages").

The care team's (MESSAGES_VIEW; a retry MESSAGES_SEND), scoped to its centres: a woman or a
run outside them is a 404, another role a 403. No text and no address ever appears here: a
delivery says what, when, on which channel and why it did not go. Every answer that lists a
woman's deliveries is a read of her personal data, audited once per woman.
"""

import datetime as dt
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.api import Page, PageFilters
from mamapro.core.errors import Conflict
from mamapro.notify import outbox, queries
from mamapro.notify.models import Delivery
from mamapro.people.models import Participant
from mamapro.programs.api import Id
from mamapro.programs.models import Run

router = Router(tags=["messages"])

DeliveryStatus = Literal["queued", "waiting", "sending", "sent", "delivered", "failed", "cancelled"]
DeliveryKind = Literal[
    "offer",
    "confirmed",
    "reminder",
    "no_show",
    "absence",
    "certificate",
    "workshop",
    "survey",
    "roster_message",
    "telegram_link",
    "stopped",
]
DeliveryChannel = Literal["sms", "whatsapp", "telegram", "email"]


class DeliveryOut(Schema):
    id: int
    participant: int
    centre: int
    kind: DeliveryKind
    channel: DeliveryChannel
    language: str
    status: DeliveryStatus
    reason: str = Field(..., description="why it was not sent (or waits), a sentence; '' if none")
    attempts: int
    discreet: bool
    created_at: dt.datetime
    send_after: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None


class DeliveryFilters(PageFilters):
    participant: Id | None = None
    run: Id | None = None
    status: DeliveryStatus | None = None
    kind: DeliveryKind | None = None


def delivery_out(d: Delivery) -> dict[str, Any]:
    assert d.participant_id is not None
    return {
        "id": d.pk,
        "participant": d.participant_id,
        "centre": d.centre_id,
        "kind": d.kind,
        "channel": d.channel,
        "language": d.language,
        "status": d.status,
        "reason": outbox.explain(d),
        "attempts": d.attempts,
        "discreet": d.discreet,
        "created_at": d.created_at,
        "send_after": d.send_after,
        "sent_at": d.sent_at,
        "delivered_at": d.delivered_at,
    }


def _audit(found: list[Delivery]) -> None:
    women: dict[int, Participant] = {}
    for d in found:
        if d.participant is not None:
            women.setdefault(d.participant.pk, d.participant)
    audit.record_reads((p, ("deliveries",)) for p in women.values())


@router.get("/deliveries", response=Page[DeliveryOut])
@perms.rule(perms.MESSAGES_VIEW)
def list_deliveries(request: HttpRequest, filters: Query[DeliveryFilters]) -> dict[str, Any]:
    """Messages to women, newest first. `participant` or `run` outside your centres: 404."""
    qs = queries.scoped(request.user)
    if filters.participant is not None:
        woman = perms.get_for_user(
            Participant.objects.all(), request.user, perms.MESSAGES_VIEW, pk=filters.participant
        )
        qs = qs.filter(participant=woman)
    if filters.run is not None:
        run = perms.get_for_user(
            Run.objects.all(), request.user, perms.MESSAGES_VIEW, pk=filters.run
        )
        qs = qs.filter(queries.about_run(run), centre_id=run.centre_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    # By when it was made, never by anything about her (a sort by name or status would
    # group the survivors' discreet rows).
    qs = qs.order_by("-created_at", "-id")
    found = list(qs.select_related("participant")[filters.offset : filters.offset + filters.limit])
    _audit(found)
    return {"items": [delivery_out(d) for d in found], "count": qs.count()}


@router.post("/deliveries/{delivery_id}/retry", response=DeliveryOut)
@perms.rule(perms.MESSAGES_SEND)
def retry_delivery(request: HttpRequest, delivery_id: Id) -> dict[str, Any]:
    """A failed delivery is queued again (through the gate); 409 when it has not failed."""
    delivery = perms.get_for_user(
        Delivery.objects.filter(participant__isnull=False).select_related("participant"),
        request.user,
        perms.MESSAGES_SEND,
        pk=delivery_id,
    )
    if delivery.status != Delivery.Status.FAILED:
        raise Conflict(_("Only a failed message can be sent again."))
    try:
        with transaction.atomic():
            again = outbox.retry(delivery, actor=perms.acting_user(request))
            _audit([again])
    except outbox.NotRetryable as exc:  # it changed since the check above
        raise Conflict(str(exc)) from None
    return delivery_out(again)
