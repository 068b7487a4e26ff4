"""Who is told what, for alerts that are not messages to a woman.

A restricted adult named at the kids' room raises an alert; the centre's coordinators and
every director get a `Notification` record (the in-app list) and, when they have set their
own contact (`StaffContact`), a message on that channel through the outbox, queued in the
transaction that raised the alert. The message names no child and no adult (the
`staff_alert` template): the detail is behind the staff login.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from mamapro.centres.models import Membership
from mamapro.core.models import User
from mamapro.core.permissions import Role
from mamapro.kidsroom.models import Alert
from mamapro.notify import outbox
from mamapro.notify.models import MessageKind, Notification


def coordinators_and_directors(centre_id: int) -> list[int]:
    """The centre's coordinators and every director: those who act on a safety alert."""
    return sorted(
        set(
            Membership.objects.filter(
                Q(role=Role.DIRECTOR) | Q(role=Role.COORDINATOR, centre_id=centre_id),
                user__is_active=True,
            ).values_list("user_id", flat=True)
        )
    )


def restricted_adult_alert(alert: Alert) -> list[Notification]:
    recipients = coordinators_and_directors(alert.centre_id)
    records = Notification.objects.bulk_create(
        [
            Notification(
                centre_id=alert.centre_id,
                recipient_id=user_id,
                kind=Notification.Kind.RESTRICTED_ADULT,
                object_type=alert._meta.label_lower,
                object_id=str(alert.pk),
                urgent=True,
            )
            for user_id in recipients
        ]
    )
    path = reverse("kidsroom:alerts")
    for user in User.objects.filter(pk__in=recipients, staff_contact__isnull=False):
        outbox.queue_staff(
            user,
            alert.centre_id,
            MessageKind.STAFF_ALERT,
            key=f"staff_alert:{alert.pk}:{user.pk}",
            subject=alert,
            context={"path": path},
        )
    return records
