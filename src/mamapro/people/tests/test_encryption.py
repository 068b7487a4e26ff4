"""Sensitive fields are encrypted in the database, read back in clear, still findable where
needed (a duplicate IIN), and `mamapro rotate-key` re-encrypts everything under a new key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from mamapro.conf import new_key, write_local_keys
from mamapro.core import crypto
from mamapro.people import services
from mamapro.people.models import Child, ChildAdult, Participant

pytestmark = pytest.mark.django_db

# (table, column, the clear value the conftest's survivor and her son carry)
SECRETS = [
    ("people_participant", "iin", "900215450007"),
    ("people_participant", "address", "Алматы, мкр. 5, д. 12"),
    ("people_participant", "safe_contact_note", "Только SMS по будням"),
    ("people_child", "medication", "Депакин"),
    ("people_childadult", "name", "Ерлан Қасымов"),
    ("people_childadult", "note", "Protective order 123/2026"),
]


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        return [row[0] for row in cursor.fetchall() if row[0] is not None]


def test_the_database_holds_no_sensitive_value_in_clear(child) -> None:
    for table, column, clear in SECRETS:
        stored = _raw(table, column)
        assert stored, (table, column)
        assert all(value.startswith(crypto.PREFIX) for value in stored), (table, column)
        assert not any(clear in value for value in stored), (table, column)
    survivor = Participant.objects.get(pk=child.parent_id)
    assert survivor.iin == "900215450007"
    assert Child.objects.get(pk=child.pk).medication == "Депакин"
    assert ChildAdult.objects.filter(child=child, authorised=False).get().name == "Ерлан Қасымов"


def test_a_duplicate_iin_is_still_found(survivor, almaty) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_participant(
            centre=almaty,
            data={
                "given_name": "Айгүл",
                "family_name": "Оспанова",
                "phone": "+77015550999",
                "iin": "900215450007",
            },
        )
    assert caught.value.message_dict["iin"] == [
        "A participant with this IIN is already registered."
    ]


def test_the_same_value_encrypts_differently_each_time() -> None:
    assert crypto.encrypt("900215450007") != crypto.encrypt("900215450007")


def test_rotate_key_for_the_local_demo(child, tmp_path, monkeypatch) -> None:
    # A key file of its own: the real var/ (the demo's database) is never touched.
    old = list(settings.DATA_KEYS)
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    monkeypatch.setattr(settings, "DATA_KEYS_FROM_ENV", False)
    monkeypatch.setattr(settings, "DATA_KEYS", old)
    write_local_keys(tmp_path, old)
    before = {column: _raw(table, column) for table, column, _clear in SECRETS}
    call_command("rotate_key")
    keys = (tmp_path / "data_keys").read_text().split()
    assert len(keys) == 1
    assert keys != old
    assert keys == settings.DATA_KEYS
    for table, column, _clear in SECRETS:
        after = _raw(table, column)
        assert after != before[column]
        token = after[0][len(crypto.PREFIX) :].encode()
        with pytest.raises(InvalidToken):
            Fernet(old[0].encode()).decrypt(token)
    assert Participant.objects.get(pk=child.parent_id).iin == "900215450007"
    assert ChildAdult.objects.get(child=child, authorised=False).note == "Protective order 123/2026"
    # The IIN's blind index follows the new key: a duplicate is still caught.
    other = Participant.objects.exclude(pk=child.parent_id)
    assert not other.filter(iin_digest=crypto.blind_index("900215450007", "iin")).exists()
    survivor = Participant.objects.get(pk=child.parent_id)
    assert survivor.iin_digest == crypto.blind_index("900215450007", "iin")


def test_rotate_key_with_keys_from_the_environment(child, monkeypatch) -> None:
    old = list(settings.DATA_KEYS)
    fresh = new_key()
    monkeypatch.setattr(settings, "DATA_KEYS_FROM_ENV", True)
    monkeypatch.setattr(settings, "DATA_KEYS", [fresh, *old])
    call_command("rotate_key")
    monkeypatch.setattr(settings, "DATA_KEYS", [fresh])  # the operator drops the old key
    assert Participant.objects.get(pk=child.parent_id).address == "Алматы, мкр. 5, д. 12"
    assert Child.objects.get(pk=child.pk).medication == "Депакин"
