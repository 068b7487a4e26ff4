"""Her deliveries, as a section of her page (people/panels.py): what, when, on which channel,
where it stands and why it did not go; the text that went out (or would go out now).

The care team's only (MESSAGES_VIEW at her centre): a trainer, tutor, psychologist or
manager sees no trace of the section. Showing it is a read of her personal data, audited.
"""

from __future__ import annotations

from django.http import HttpRequest

from mamapro.core import permissions as perms
from mamapro.notify import queries
from mamapro.notify.views_staff import TEXTS_READ, audit_rows, delivery_rows
from mamapro.people.models import Participant
from mamapro.people.panels import Panel, register

PANEL_LIMIT = 20


def deliveries_panel(request: HttpRequest, participant: Participant) -> Panel | None:
    if not perms.principal(request.user).can(perms.MESSAGES_VIEW, participant.centre_id):
        return None
    user = perms.acting_user(request)
    listing = queries.for_participant(participant)
    found = list(listing.select_related("centre")[: PANEL_LIMIT + 1])
    for d in found:
        d.participant = participant  # the page's own object: no query per row
    rows = delivery_rows(user, found[:PANEL_LIMIT], texts=True)
    audit_rows(rows, TEXTS_READ)
    may_send = perms.principal(user).can(perms.MESSAGES_SEND, participant.centre_id)
    return Panel(
        "notify/staff/_deliveries_panel.html",
        {
            "rows": rows,
            "more": len(found) > PANEL_LIMIT,
            "may_retry": {
                r.delivery.pk for r in rows if may_send and r.delivery.status == "failed"
            },
        },
    )


register(deliveries_panel)
