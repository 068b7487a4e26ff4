"""Her erasure (`people/subject_rights.py`), the messages' part: what went out to her and
what staff wrote to her is blanked, her Telegram chat is forgotten and its links revoked,
and her messages still waiting are cancelled. The rows themselves stay (counted in channel
statistics), with nothing that identifies her or says what she was told.
"""

from __future__ import annotations

from django.utils import timezone

from mamapro.notify.models import Delivery, InboundMessage, TelegramLink
from mamapro.people.models import Participant


def erase(participant: Participant) -> None:
    now = timezone.now()
    mine = Delivery.objects.filter(participant=participant)
    mine.filter(status__in=(Delivery.Status.QUEUED, Delivery.Status.WAITING)).update(
        status=Delivery.Status.CANCELLED, reason="no_contact"
    )
    mine.update(text="", body="", context={}, error="")
    links = TelegramLink.objects.filter(participant=participant)
    links.filter(revoked_at__isnull=True).update(revoked_at=now)
    links.update(chat_id="", chat_digest=None)
    InboundMessage.objects.filter(participant=participant).update(text="")


def register() -> None:
    from mamapro.people import subject_rights

    subject_rights.register(eraser=erase)
