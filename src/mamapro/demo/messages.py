"""Demo data for messages: the coordinators' and the director's alert contacts, and a few
women whose safe-contact choices show every path of the gate (people/safe_contact.py).

Each woman is found by her phone at her centre, so a second run creates nothing; all of them
go through the same services as the UI (validated, audited). The phone numbers are
fictional (+7 700 555 01 xx), and the e-mail address is at example.org, a domain reserved
for examples: in the demo nothing leaves the machine anyway (SMS, WhatsApp and Telegram
queue with "provider not configured", e-mail lands in var/mail/).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from mamapro.centres.models import Centre
from mamapro.core import audit
from mamapro.core.models import AuditEntry, User
from mamapro.notify.models import Channel, StaffContact
from mamapro.people import services
from mamapro.people.models import Circumstance, Consent, Participant
from mamapro.people.validators import normalise_phone

CONSENT_VERSION = "2026-1"

# Who is alerted by her own channel when a restricted adult comes for a child.
STAFF_CONTACTS = {
    "director": "+77005550101",
    "coordinator": "+77005550102",
    "coordinator-astana": "+77005550103",
}


@dataclass(frozen=True)
class Woman:
    centre: str  # "Almaty" or "Astana", as demo/loader.py names them
    data: dict[str, Any]
    circumstances: tuple[str, ...] = ()
    consent: bool = True  # data processing
    withdrawn: bool = False  # she gave it, then withdrew it
    why: str = field(default="", compare=False)  # what she shows in the demo


def _hours(start: int, end: int) -> dict[str, dt.time]:
    return {"safe_hours_from": dt.time(start), "safe_hours_to": dt.time(end)}


WOMEN = [
    Woman(
        "Almaty",
        {
            "given_name": "Айгерім",
            "family_name": "Сапарова",
            "phone": "+77005550111",
            "language": "kk",
            "contact_channels": ["sms"],
            **_hours(10, 18),
        },
        why="SMS in Kazakh between 10:00 and 18:00; outside them a message waits",
    ),
    Woman(
        "Almaty",
        {
            "given_name": "Мадина",
            "family_name": "Жұмабаева",
            "phone": "+77005550112",
            "language": "ru",
            "contact_channels": ["telegram", "sms"],
            **_hours(10, 18),
        },
        why="Telegram once she links and confirms her chat, SMS meanwhile",
    ),
    Woman(
        "Almaty",
        {
            "given_name": "Ольга",
            "family_name": "Ли",
            "phone": "+77005550113",
            "email": "olga.li@example.org",
            "language": "ru",
            "contact_channels": ["email"],
        },
        why="e-mail only: the demo writes it to var/mail/",
    ),
    Woman(
        "Almaty",
        {
            "given_name": "Гүлмира",
            "family_name": "Төлеуова",
            "phone": "+77005550114",
            "language": "kk",
            "contact_channels": ["sms"],
            "discreet": True,
            **_hours(10, 18),
        },
        why="asked for discretion: every message is the discreet template",
    ),
    Woman(
        "Almaty",
        {
            "given_name": "Жанна",
            "family_name": "Омарова",
            "phone": "+77005550115",
            "language": "ru",
            "contact_channels": ["sms"],
            "flash_sms": True,
        },
        why="flash SMS: shown on her screen, never saved in the phone",
    ),
    Woman(
        "Almaty",
        {
            "given_name": "Сәуле",
            "family_name": "Бекенова",
            "alias": "Алма Н.",
            "phone": "+77005550116",
            "language": "kk",
            "contact_channels": ["sms"],
            "do_not_call": True,
            "address_hidden": True,
            "safe_contact_note": "Только SMS 10:00–13:00 по будням, телефон иногда смотрит муж.",
            **_hours(10, 13),
        },
        circumstances=(Circumstance.Kind.DOMESTIC_VIOLENCE,),
        why="a survivor behind a roster alias: discreet template, safe hours 10:00–13:00",
    ),
    Woman(
        "Almaty",
        {
            "given_name": "Наталья",
            "family_name": "Ким",
            "phone": "+77005550117",
            "language": "ru",
            "contact_channels": ["sms", "whatsapp"],
        },
        withdrawn=True,
        why="withdrew her consent: nothing reaches her, each message cancelled with the reason",
    ),
    Woman(
        "Astana",
        {
            "given_name": "Дана",
            "family_name": "Серікқызы",
            "phone": "+77005550118",
            "language": "kk",
            "contact_channels": ["whatsapp", "sms"],
            **_hours(9, 19),
        },
        why="WhatsApp approved templates in Kazakh, at Astana",
    ),
]


@transaction.atomic
def load(centres: dict[str, Centre]) -> int:
    """Create the alert contacts and the women that are missing; return how many women."""
    _staff_contacts()
    created = 0
    for woman in WOMEN:
        if _woman(woman, centres[woman.centre]):
            created += 1
    return created


def _staff_contacts() -> None:
    users = User.objects.filter(username__in=STAFF_CONTACTS)
    have = set(StaffContact.objects.filter(user__in=users).values_list("user_id", flat=True))
    for user in users:
        if user.pk in have:
            continue  # hers as she set it, if she changed it on "My alert contact"
        contact = StaffContact.objects.create(
            user=user, channel=Channel.SMS, address=normalise_phone(STAFF_CONTACTS[user.username])
        )
        audit.record(AuditEntry.Action.CREATE, contact, fields=("channel", "address"))


def _woman(woman: Woman, centre: Centre) -> bool:
    phone = normalise_phone(woman.data["phone"])
    if Participant.objects.filter(centre=centre, phone=phone).exists():
        return False
    participant = services.create_participant(
        centre=centre, data={**woman.data, "phone": phone}, circumstances=woman.circumstances
    )
    if woman.consent or woman.withdrawn:
        consent = services.record_consent(
            participant, kind=Consent.Kind.DATA_PROCESSING, version=CONSENT_VERSION
        )
        if woman.withdrawn:
            services.revoke_consent(consent)
    return True
