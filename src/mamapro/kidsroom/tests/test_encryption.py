"""Finding 16 (kids' room part): what happened to a child, what was done, the names typed at
the door and the names an alert records are not in clear in the database (read with raw SQL,
on SQLite and on PostgreSQL), and the migration encrypts rows written before."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection

from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert, Booking, Incident
from mamapro.kidsroom.tests.conftest import at
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db

COLUMNS = [
    ("kidsroom_incident", "what_happened"),
    ("kidsroom_incident", "action_taken"),
    ("kidsroom_booking", "brought_by"),
    ("kidsroom_alert", "named"),
]


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def written(kids_run, session, on_shift, child, restricted_adult) -> Booking:
    on_shift(1)
    seats.enroll(kids_run, child.parent, "paid")
    booking = kids.book(session, child)
    kids.check_in(session, child, brought_by="Ерлан Қасымов", now=at(14, 10))
    kids.record_incident(
        child,
        kind="safeguarding",
        what_happened="Әкесі есік алдында айқайлады",
        action_taken="Полицияға қоңырау шалдық",
        parent_informed=True,
        booking=booking,
    )
    return booking


def test_the_texts_are_not_in_clear(written: Booking) -> None:
    secrets = ("Ерлан", "Қасымов", "Әкесі", "айқайлады", "Полиция")
    for table, column in COLUMNS:
        stored = _raw(table, column)
        assert stored, (table, column)
        for value in stored:
            assert value.startswith("enc:"), (table, column)
            assert not any(s in value for s in secrets), (table, column)
    # Read back as plain text.
    assert Booking.objects.get(pk=written.pk).brought_by == "Ерлан Қасымов"
    assert Alert.objects.get().named == "Ерлан Қасымов"
    assert Incident.objects.get().what_happened == "Әкесі есік алдында айқайлады"


def test_the_migration_encrypts_rows_written_in_clear(written: Booking) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE kidsroom_booking SET brought_by = %s", ["Ерлан Қасымов"])
        cursor.execute("UPDATE kidsroom_alert SET named = %s", ["Ерлан Қасымов"])
        cursor.execute(
            "UPDATE kidsroom_incident SET what_happened = %s, action_taken = %s", ["Упал", "Лёд"]
        )
    assert _raw("kidsroom_booking", "brought_by") == ["Ерлан Қасымов"]
    migration = importlib.import_module(
        "mamapro.kidsroom.migrations.0003_encrypted_texts_and_tutor_phone"
    )
    migration.encrypt_existing(django_apps, None)
    for table, column in COLUMNS:
        assert all(v.startswith("enc:") for v in _raw(table, column)), (table, column)
    assert Booking.objects.get(pk=written.pk).brought_by == "Ерлан Қасымов"
    assert Incident.objects.get().action_taken == "Лёд"


def test_erasing_her_leaves_nothing_of_the_names(written: Booking, child) -> None:
    from mamapro.people import subject_rights

    subject_rights.erase(child.parent)
    assert _raw("kidsroom_booking", "brought_by") == []
    assert _raw("kidsroom_alert", "named") == []
    assert Incident.objects.get().what_happened == "—"
    assert Booking.objects.get(pk=written.pk).checked_in_at is not None
