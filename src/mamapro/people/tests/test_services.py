from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mamapro.core import audit
from mamapro.core.models import AuditEntry
from mamapro.people import services
from mamapro.people.models import Child, Consent, Participant

pytestmark = pytest.mark.django_db


def _last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-seq")[0]


def test_create_normalises_and_audits(almaty, personas) -> None:
    p = services.create_participant(
        centre=almaty,
        data={"given_name": "  Айгүл ", "family_name": "Оспанова", "phone": "8 (701) 555-12-34"},
        circumstances=["stay_at_home"],
        eligibility_verified=True,
        actor=personas["coordinator"],
    )
    assert p.given_name == "Айгүл"
    assert p.phone == "+77015551234"
    assert p.eligibility_verified_by == personas["coordinator"]
    assert list(p.circumstances.values_list("kind", flat=True)) == ["stay_at_home"]
    entry = _last("create")
    assert entry.object_type == "people.participant"
    assert entry.actor == personas["coordinator"]
    assert entry.centre_id == almaty.pk
    assert {"phone", "circumstances", "eligibility_verified"} <= set(entry.fields)
    assert "8 (701)" not in str(entry.details), "values never go into the log"


def test_field_errors_name_every_bad_field_and_write_nothing(almaty) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_participant(
            centre=almaty,
            data={"given_name": "", "family_name": "Ким", "phone": "12", "iin": "123"},
        )
    assert set(caught.value.message_dict) == {"given_name", "phone", "iin"}
    assert Participant.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_same_phone_at_the_same_centre_is_refused_but_allowed_elsewhere(
    make_participant, astana
) -> None:
    make_participant(phone="+77015550001")
    with pytest.raises(ValidationError) as caught:
        make_participant(phone="8 701 555 00 01")
    assert "already registered" in caught.value.message_dict["phone"][0]
    assert make_participant(astana, phone="+77015550001").centre == astana


def test_iin_sets_the_birth_date_and_must_be_unique(make_participant) -> None:
    p = make_participant(iin="900215450007")
    assert p.birth_date == dt.date(1990, 2, 15)
    with pytest.raises(ValidationError) as caught:
        make_participant(iin="900215450007")
    assert "iin" in caught.value.message_dict


def test_update_audits_only_real_changes(survivor, personas) -> None:
    before = AuditEntry.objects.count()
    services.update_participant(survivor, data={"phone": survivor.phone.replace("+7", "8")})
    assert AuditEntry.objects.count() == before, "the same phone typed differently is no change"
    services.update_participant(
        survivor,
        data={"status": "resident"},
        circumstances=["domestic_violence"],
        actor=personas["director"],
    )
    entry = _last("update")
    assert set(entry.fields) == {"status", "circumstances"}
    survivor.refresh_from_db()
    assert survivor.status == "resident"
    assert list(survivor.circumstances.values_list("kind", flat=True)) == ["domestic_violence"]


def test_unknown_fields_and_circumstances_are_refused(survivor) -> None:
    with pytest.raises(ValidationError) as caught:
        services.update_participant(survivor, data={"search_key": "x"})
    assert "search_key" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.update_participant(survivor, data={}, circumstances=["rich"])
    assert "circumstances" in caught.value.message_dict


def test_children_and_adults(survivor, personas) -> None:
    with audit.acting_as(personas["coordinator"]):
        child = services.add_child(
            survivor,
            data={"given_name": "Інжу", "birth_date": dt.date(2020, 3, 1), "diet": ["gluten_free"]},
        )
        adult = services.add_adult(
            child, data={"name": "Ерлан", "relation": "father", "authorised": False}
        )
    assert child.family_name == "", "never guessed from the mother's (her real one)"
    assert child.centre_id == survivor.centre_id
    assert adult.centre_id == survivor.centre_id
    entry = _last("create")
    assert entry.details == {"child": child.pk, "authorised": False}
    assert entry.actor == personas["coordinator"]
    with pytest.raises(ValidationError) as caught:
        services.add_child(
            survivor, data={"given_name": "X", "birth_date": dt.date(2999, 1, 1), "diet": ["candy"]}
        )
    assert set(caught.value.message_dict) == {"birth_date", "diet"}
    assert Child.objects.count() == 1
    adult_id = adult.pk
    services.remove_adult(adult)
    assert _last("delete").object_id == str(adult_id)


def test_consent_is_versioned_and_revocable(survivor) -> None:
    first = services.record_consent(survivor, kind="photos", version="2026-1")
    second = services.record_consent(survivor, kind="photos", version="2026-2")
    first.refresh_from_db()
    assert first.revoked_at is not None, "a renewed consent replaces the active one"
    assert second.is_active
    services.revoke_consent(second)
    second.refresh_from_db()
    assert not second.is_active
    assert Consent.objects.filter(participant=survivor).count() == 2
    with pytest.raises(ValidationError):
        services.record_consent(survivor, kind="photos", version=" ")
