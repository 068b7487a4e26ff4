"""The demo's message data: alert contacts for the coordinators and the director, and women
whose safe-contact choices take every path of the gate, created once."""

from __future__ import annotations

import datetime as dt

import pytest

from mamapro.centres import clock
from mamapro.conftest import build_almaty, build_astana, build_user
from mamapro.core.models import AuditEntry
from mamapro.core.permissions import Role
from mamapro.demo import messages as demo_messages
from mamapro.notify.models import StaffContact
from mamapro.people import safe_contact
from mamapro.people.models import Participant
from mamapro.people.visibility import shown_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def centres() -> dict:
    almaty, astana = build_almaty(), build_astana()
    build_user("director", Role.DIRECTOR)
    build_user("coordinator", Role.COORDINATOR, almaty)
    build_user("coordinator-astana", Role.COORDINATOR, astana)
    build_user("trainer", Role.TRAINER, almaty)
    return {"Almaty": almaty, "Astana": astana}


def _woman(given: str) -> Participant:
    return Participant.objects.get(given_name=given)


def test_alert_contacts_for_the_coordinators_and_the_director(centres: dict) -> None:
    demo_messages.load(centres)
    contacts = {c.user.username: c for c in StaffContact.objects.select_related("user")}
    assert set(contacts) == {"director", "coordinator", "coordinator-astana"}
    for contact in contacts.values():
        assert contact.channel == "sms"
        assert contact.address.startswith("+7700555")
    assert (
        AuditEntry.objects.filter(object_type="notify.staffcontact", action="create").count() == 3
    )


def test_the_women_take_every_path_of_the_gate(centres: dict) -> None:
    assert demo_messages.load(centres) == len(demo_messages.WOMEN)
    almaty = centres["Almaty"]
    noon = clock.combine(dt.date(2026, 12, 2), dt.time(12), almaty)  # a Wednesday
    evening = clock.combine(dt.date(2026, 12, 2), dt.time(20), almaty)

    sms = safe_contact.decide(_woman("Айгерім"), "sms", noon)
    assert sms.allowed
    assert not sms.discreet
    late = safe_contact.decide(_woman("Айгерім"), "sms", evening)
    assert not late.allowed
    assert late.reason == safe_contact.OUTSIDE_SAFE_HOURS
    assert late.next_safe_at == clock.combine(dt.date(2026, 12, 3), dt.time(10), almaty)

    assert _woman("Мадина").contact_channels == ["telegram", "sms"]
    olga = _woman("Ольга")
    assert safe_contact.decide(olga, "email", evening).allowed
    assert not safe_contact.decide(olga, "sms", noon).allowed

    assert safe_contact.decide(_woman("Гүлмира"), "sms", noon).discreet
    assert _woman("Жанна").flash_sms

    survivor = _woman("Сәуле")
    decision = safe_contact.decide(survivor, "sms", noon)
    assert decision.allowed
    assert decision.discreet, "a survivor gets the discreet template"
    assert not safe_contact.decide(survivor, "call", noon).allowed
    trainer = build_user("trainer-2", Role.TRAINER, almaty)
    assert shown_name(trainer, survivor) == "Алма Н."

    withdrawn = safe_contact.decide(_woman("Наталья"), "sms", noon)
    assert not withdrawn.allowed
    assert withdrawn.reason == safe_contact.NO_CONSENT

    dana = _woman("Дана")
    assert dana.centre == centres["Astana"]
    assert safe_contact.decide(dana, "whatsapp", noon).allowed


def test_a_second_load_creates_nothing_and_keeps_a_changed_contact(centres: dict) -> None:
    demo_messages.load(centres)
    StaffContact.objects.filter(user__username="coordinator").update(channel="email")
    assert demo_messages.load(centres) == 0
    assert Participant.objects.count() == len(demo_messages.WOMEN)
    assert StaffContact.objects.count() == 3
    assert StaffContact.objects.get(user__username="coordinator").channel == "email"
