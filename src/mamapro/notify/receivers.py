"""Events from the apps below that must reach someone (connected in apps.ready).

Each programmes signal is sent inside the transaction that changed the seat (or the roll
call, the certificate, the topic), so the outbox row written here commits or rolls back with
it: a rolled-back enrollment sends nothing. Every message goes through `outbox.queue`, which
passes the safe-contact gate; nothing here decides who may be written to.

Idempotency keys name the event, so a signal sent twice for one event (a retried request, a
roll call saved again) queues one message:
- `offer:<enrollment>:<offered_at iso>` — one per offer (a later offer of the same seat is a
  new message);
- `confirmed:<enrollment>:<confirmed_at iso>`;
- `no_show:<enrollment>:<session>`, `absence:<follow-up task>`, `certificate:<certificate>`;
- `workshop:<run>:<participant>` — one per woman and workshop, however many of its topics
  she voted for (notify/schedule.py `announce_workshop`, shared with the tick for a run
  published after its topic was scheduled).

`context` carries only what cannot be looked up when the message is rendered and is not
sensitive: `valid_until` (ISO; after it the worker cancels the message as no longer needed)
and `path` (the link in the message, made absolute with `SITE_URL` by the templates).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from mamapro.centres import clock
from mamapro.kidsroom.models import Alert
from mamapro.kidsroom.signals import restricted_adult_named
from mamapro.notify import outbox, schedule, services
from mamapro.notify.models import MessageKind
from mamapro.programs import signals
from mamapro.programs.models import (
    Certificate,
    Enrollment,
    FollowUpTask,
    Run,
    Session,
    TopicRequest,
)


@receiver(restricted_adult_named, dispatch_uid="notify.restricted_adult")
def _restricted_adult(sender: Any, alert: Alert, **kwargs: Any) -> None:
    services.restricted_adult_alert(alert)


def run_over_at(run: Run) -> dt.datetime:
    """The end of the run's last day in its centre's zone: after it, no message about it
    is worth sending."""
    return clock.day_bounds(run.ends_on, run.centre)[1]


@receiver(signals.offer_made, dispatch_uid="notify.offer_made")
def _offer_made(sender: Any, enrollment: Enrollment, now: dt.datetime, **kwargs: Any) -> None:
    assert enrollment.offered_at is not None
    assert enrollment.offer_expires_at is not None
    outbox.queue(
        enrollment.participant,
        MessageKind.OFFER,
        key=f"offer:{enrollment.pk}:{enrollment.offered_at.isoformat()}",
        subject=enrollment,
        context={
            "valid_until": enrollment.offer_expires_at.isoformat(),
            # Her link is made when the message is rendered, from the enrollment: the token
            # (which answers for her seat) is never stored in the outbox row.
            "offer_link": True,
        },
        now=now,
    )


def _about_her_seat(
    enrollment: Enrollment, kind: str, key: str, now: dt.datetime, **context: Any
) -> None:
    """A message about her seat in a run, of no use once the run is over."""
    outbox.queue(
        enrollment.participant,
        kind,
        key=key,
        subject=enrollment,
        context={"valid_until": run_over_at(enrollment.run).isoformat(), **context},
        now=now,
    )


@receiver(signals.enrollment_confirmed, dispatch_uid="notify.enrollment_confirmed")
def _enrollment_confirmed(
    sender: Any, enrollment: Enrollment, now: dt.datetime, **kwargs: Any
) -> None:
    key = f"confirmed:{enrollment.pk}:{(enrollment.confirmed_at or now).isoformat()}"
    _about_her_seat(enrollment, MessageKind.CONFIRMED, key, now)


@receiver(signals.first_session_no_show, dispatch_uid="notify.first_session_no_show")
def _first_session_no_show(
    sender: Any, enrollment: Enrollment, session: Session, now: dt.datetime, **kwargs: Any
) -> None:
    key = f"no_show:{enrollment.pk}:{session.pk}"
    released = bool(kwargs.get("released", False))
    _about_her_seat(enrollment, MessageKind.NO_SHOW, key, now, released=released)


@receiver(signals.absences_in_a_row, dispatch_uid="notify.absences_in_a_row")
def _absences_in_a_row(
    sender: Any, enrollment: Enrollment, task: FollowUpTask, now: dt.datetime, **kwargs: Any
) -> None:
    _about_her_seat(enrollment, MessageKind.ABSENCE, f"absence:{task.pk}", now)


@receiver(signals.certificate_issued, dispatch_uid="notify.certificate_issued")
def _certificate_issued(
    sender: Any, certificate: Certificate, now: dt.datetime, **kwargs: Any
) -> None:
    outbox.queue(
        certificate.enrollment.participant,
        MessageKind.CERTIFICATE,
        key=f"certificate:{certificate.pk}",
        subject=certificate,
        now=now,
    )


@receiver(signals.workshop_published_for_topic, dispatch_uid="notify.workshop_for_topic")
def _workshop_for_topic(
    sender: Any, topic: TopicRequest, run: Run, now: dt.datetime, **kwargs: Any
) -> None:
    schedule.announce_workshop(run, [topic.pk], now)
