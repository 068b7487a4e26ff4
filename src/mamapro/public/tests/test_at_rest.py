"""What the public site keeps is not readable from the database file or a backup: the
circumstances stated on an application, and the phones waiting for the tick to count a vote."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mamapro.programs.models import TopicRequest
from mamapro.public.models import Application, PendingVote
from mamapro.public.services import applications, topics
from mamapro.public.tests.test_services import AIGERIM

pytestmark = pytest.mark.django_db


def _raw(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_stated_circumstances_are_encrypted_at_rest_and_read_back(run) -> None:
    from dataclasses import replace

    applications.apply(
        run,
        replace(AIGERIM, seat_wanted="free", circumstances=("domestic_violence", "stay_at_home")),
    )
    [(stored,)] = _raw("SELECT stated_circumstances FROM public_application")
    assert "domestic" not in stored
    assert "stay_at_home" not in stored
    assert stored.startswith("enc:")
    assert Application.objects.get().stated_circumstances == ["domestic_violence", "stay_at_home"]


def test_an_application_without_a_stated_circumstance_stores_nothing(run) -> None:
    applications.apply(run, AIGERIM)
    assert _raw("SELECT stated_circumstances FROM public_application") == [("",)]
    assert Application.objects.get().stated_circumstances == []


def test_a_pending_vote_keeps_the_phone_encrypted_until_the_tick_drops_it(almaty) -> None:
    topic = TopicRequest.objects.create(centre=almaty, title="Фотосъёмка")
    topics.vote(topic, phone="8 701 555 12 34")
    [(stored,)] = _raw("SELECT phone FROM public_pendingvote")
    assert "5551234" not in stored
    assert PendingVote.objects.get().phone == "+77015551234"
    topics.count_pending_votes()
    assert _raw("SELECT phone FROM public_pendingvote") == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_what_was_stored_in_clear(almaty, course) -> None:
    import datetime as dt

    from django.utils import timezone

    from mamapro.people.models import Participant
    from mamapro.programs.models import Run

    executor = MigrationExecutor(connection)
    before = [("public", "0001_initial")]
    latest = executor.loader.graph.leaf_nodes("public")
    executor.migrate(before)
    try:
        today = timezone.localdate()
        run = Run.objects.create(
            course=course,
            centre=almaty,
            starts_on=today + dt.timedelta(days=5),
            ends_on=today + dt.timedelta(days=9),
        )
        her = Participant.objects.create(
            centre=almaty, given_name="Ә", family_name="Қ", phone="+77015551234", language="kk"
        )
        sql = (
            "INSERT INTO public_application (centre_id, run_id, participant_id, seat_wanted,"
            " stated_circumstances, kids_room, children_count, children_ages, is_repeat,"
            " given_name, family_name, language, contact_channels, do_not_call,"
            " consent_version, created_at) VALUES (%s, %s, %s, 'free', %s, %s, 0, '',"
            " %s, 'Ә', 'Қ', 'kk', %s, %s, 'public-2026-1', %s)"
        )
        if connection.vendor == "postgresql":
            sql = sql.replace("'free', %s,", "'free', %s::jsonb,").replace(
                "'kk', %s,", "'kk', %s::jsonb,"
            )
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    almaty.pk,
                    run.pk,
                    her.pk,
                    '["domestic_violence"]',
                    False,
                    False,
                    "[]",
                    False,
                    timezone.now(),
                ],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    [(stored,)] = _raw("SELECT stated_circumstances FROM public_application")
    assert stored.startswith("enc:")
    assert "domestic" not in stored
    assert Application.objects.get().stated_circumstances == ["domestic_violence"]


def test_rotate_key_re_encrypts_the_stated_circumstances(run, monkeypatch) -> None:
    from dataclasses import replace

    from django.conf import settings
    from django.core.management import call_command

    from mamapro.conf import new_key

    applications.apply(
        run, replace(AIGERIM, seat_wanted="free", circumstances=("domestic_violence",))
    )
    old = list(settings.DATA_KEYS)
    monkeypatch.setattr(settings, "DATA_KEYS_FROM_ENV", True)
    monkeypatch.setattr(settings, "DATA_KEYS", [new_key(), *old])
    call_command("rotate_key")
    monkeypatch.setattr(settings, "DATA_KEYS", settings.DATA_KEYS[:1])  # the old key is gone
    assert Application.objects.get().stated_circumstances == ["domestic_violence"]
