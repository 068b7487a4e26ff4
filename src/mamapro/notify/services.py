"""Who is told what. Delivery (channels, language, safe hours) is the notifications issue."""

from __future__ import annotations

from django.db.models import Q

from mamapro.centres.models import Membership
from mamapro.core.permissions import Role
from mamapro.kidsroom.models import Alert
from mamapro.notify.models import Notification


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
    return Notification.objects.bulk_create(
        [
            Notification(
                centre_id=alert.centre_id,
                recipient_id=user_id,
                kind=Notification.Kind.RESTRICTED_ADULT,
                object_type=alert._meta.label_lower,
                object_id=str(alert.pk),
                urgent=True,
            )
            for user_id in coordinators_and_directors(alert.centre_id)
        ]
    )
