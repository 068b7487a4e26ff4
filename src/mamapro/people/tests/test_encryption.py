"""Sensitive fields are encrypted in the database, read back in clear, still findable where
needed (a duplicate IIN), and `mamapro rotate-key` re-encrypts everything under a new key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from mamapro.conf import new_key, write_local_keys
from mamapro.core import crypto
from mamapro.people import services
from mamapro.people.models import Child, ChildAdult, Circumstance, Participant, with_circumstance

pytestmark = pytest.mark.django_db

# (table, column, the clear value the conftest's survivor and her son carry)
SECRETS = [
    ("people_participant", "iin", "900215450007"),
    ("people_participant", "address", "Алматы, мкр. 5, д. 12"),
    ("people_participant", "safe_contact_note", "Только SMS по будням"),
    ("people_child", "medication", "Депакин"),
    ("people_childadult", "name", "Ерлан Қасымов"),
    ("people_childadult", "note", "Protective order 123/2026"),
    ("people_circumstance", "kind", "domestic_violence"),
    ("people_circumstance", "kind", "special_needs_child"),
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


# --- The circumstance kind (issue 9 finding 16) ---------------------------------------------


def _raw_rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def test_the_circumstance_kind_is_not_in_clear_in_any_column(survivor) -> None:
    rows = _raw_rows("SELECT * FROM people_circumstance")
    assert len(rows) == 2
    for row in rows:
        for value in row:
            for kind in Circumstance.Kind.values:
                assert kind not in str(value), (kind, row)
    assert sorted(survivor.circumstances.values_list("kind", flat=True)) == [
        "domestic_violence",
        "special_needs_child",
    ]
    assert survivor.circumstances.of_kind("domestic_violence").get().get_kind_display() == (
        "Survivor of domestic violence"
    )


def _her_digests(participant_id: int) -> set[str]:
    return {
        crypto.blind_index(f"{participant_id}:domestic_violence", "circumstance_kind"),
        crypto.blind_index(f"{participant_id}:special_needs_child", "circumstance_kind"),
    }


def test_a_copied_database_does_not_group_women_by_circumstance(survivor, make_participant):
    # With one digest per kind, the rows sharing the rarest digest are the survivors.
    other = make_participant(circumstances=("domestic_violence", "special_needs_child"))
    digests = _raw_rows("SELECT participant_id, kind_digest FROM people_circumstance")
    assert len(digests) == 4
    assert len({digest for _pk, digest in digests}) == 4
    assert {d for pk, d in digests if pk == other.pk} == _her_digests(other.pk)


def test_queries_still_filter_and_count_by_kind(survivor, make_participant) -> None:
    other = make_participant(circumstances=("stay_at_home", "domestic_violence"))
    make_participant(circumstances=("other",))
    assert Circumstance.objects.of_kind("domestic_violence").count() == 2
    assert Circumstance.objects.of_kind("stay_at_home", "other").count() == 2
    survivors = with_circumstance(Participant.objects.all(), "domestic_violence")
    assert set(survivors.values_list("pk", flat=True)) == {survivor.pk, other.pk}
    # Changing her circumstances removes exactly the kinds she no longer has.
    services.update_participant(other, data={}, circumstances=("stay_at_home",))
    assert list(other.circumstances.values_list("kind", flat=True)) == ["stay_at_home"]
    assert Circumstance.objects.of_kind("domestic_violence").get().participant_id == survivor.pk


def test_one_row_per_kind_is_still_enforced_by_the_database(survivor) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Circumstance.objects.create(
            participant=survivor, centre_id=survivor.centre_id, kind="domestic_violence"
        )
    assert survivor.circumstances.count() == 2


def test_a_filter_on_an_encrypted_value_is_refused_not_silently_empty(survivor) -> None:
    # `kind="domestic_violence"` would encrypt the value afresh and match nothing: a count
    # of survivors that says 0. Refused loudly instead; the blind index answers.
    with pytest.raises(FieldError, match="blind index"):
        Circumstance.objects.filter(kind="domestic_violence").exists()
    with pytest.raises(FieldError, match="encrypted"):
        Participant.objects.filter(address__icontains="Алматы").exists()
    with pytest.raises(FieldError, match="encrypted"):
        Participant.objects.filter(circumstances__kind__in=["domestic_violence"]).exists()
    assert not Participant.objects.filter(address="").exists()
    assert Participant.objects.filter(iin__isnull=False).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_kinds_and_back(survivor) -> None:
    executor = MigrationExecutor(connection)
    before = [("people", "0009_roster_key")]
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old_state = executor.loader.project_state(before).apps
        OldCircumstance = old_state.get_model("people", "Circumstance")
        assert sorted(OldCircumstance.objects.values_list("kind", flat=True)) == [
            "domestic_violence",
            "special_needs_child",
        ]
        raw = [r[0] for r in _raw_rows("SELECT kind FROM people_circumstance")]
        assert sorted(raw) == ["domestic_violence", "special_needs_child"]
        executor = MigrationExecutor(connection)
        executor.migrate([("people", "0010_circumstance_kind_encrypted")])
        raw_rows = _raw_rows("SELECT kind, kind_digest FROM people_circumstance")
        assert all(kind.startswith(crypto.PREFIX) for kind, _digest in raw_rows)
        assert {digest for _kind, digest in raw_rows} == {
            crypto.blind_index("domestic_violence", "circumstance_kind"),
            crypto.blind_index("special_needs_child", "circumstance_kind"),
        }
        executor = MigrationExecutor(connection)
        executor.migrate([("people", "0011_circumstance_kind_digest_per_woman")])
        assert {r[0] for r in _raw_rows("SELECT kind_digest FROM people_circumstance")} == (
            _her_digests(survivor.pk)
        )
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        raw = [r[0] for r in _raw_rows("SELECT kind FROM people_circumstance")]
        assert sorted(raw) == ["domestic_violence", "special_needs_child"]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    assert Circumstance.objects.of_kind("domestic_violence").get().participant_id == survivor.pk


# --- Blind indexes while a key rotation is under way (issue 9 finding 19) -------------------


def test_a_duplicate_iin_is_found_with_a_new_key_first_before_rotate_key(
    survivor, almaty, monkeypatch
) -> None:
    # The operator has put a new key first and restarted; `rotate-key` has not run yet, so
    # her row still carries the IIN's digest under the old key.
    monkeypatch.setattr(settings, "DATA_KEYS", [new_key(), *settings.DATA_KEYS])
    assert survivor.iin_digest != crypto.blind_index("900215450007", "iin")
    with pytest.raises(ValidationError) as caught:
        services.create_participant(
            centre=almaty,
            data={
                "given_name": "Айгүл",
                "family_name": "Оспанова",
                "phone": "+77015550998",
                "iin": "900215450007",
            },
        )
    assert list(caught.value.message_dict) == ["iin"]
    assert Participant.objects.count() == 1
    # Counts by circumstance still include her.
    assert Circumstance.objects.of_kind("domestic_violence").get().participant_id == survivor.pk


def test_rows_written_under_either_key_are_found_half_way(survivor, make_participant, monkeypatch):
    old = list(settings.DATA_KEYS)
    monkeypatch.setattr(settings, "DATA_KEYS_FROM_ENV", True)
    monkeypatch.setattr(settings, "DATA_KEYS", [new_key(), *old])
    newcomer = make_participant(circumstances=("domestic_violence",))
    assert Circumstance.objects.of_kind("domestic_violence").count() == 2
    call_command("rotate_key")  # keys from the environment: both stay configured
    monkeypatch.setattr(settings, "DATA_KEYS", settings.DATA_KEYS[:1])  # old key dropped
    assert Circumstance.objects.of_kind("domestic_violence").count() == 2
    assert newcomer.circumstances.get().kind == "domestic_violence"
    assert Participant.objects.filter(
        crypto.blind_q("iin_digest", "iin", "900215450007")
    ).get() == (survivor)


def test_rotate_key_recomputes_the_kind_digest(child, tmp_path, monkeypatch) -> None:
    old = list(settings.DATA_KEYS)
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    monkeypatch.setattr(settings, "DATA_KEYS_FROM_ENV", False)
    monkeypatch.setattr(settings, "DATA_KEYS", old)
    write_local_keys(tmp_path, old)
    call_command("rotate_key")
    assert old != settings.DATA_KEYS
    digests = {r[0] for r in _raw_rows("SELECT kind_digest FROM people_circumstance")}
    assert digests == _her_digests(child.parent_id)
    assert Circumstance.objects.of_kind("domestic_violence").get().participant_id == child.parent_id


def test_rotate_key_leaves_a_digest_kept_empty_on_purpose_empty(
    survivor, make_participant, monkeypatch
) -> None:
    # A second record with the same IIN held outside the unique index (people/services.py,
    # a woman registered at two centres): rotation must not give it a digest, or the unique
    # index would refuse the whole rotation.
    twin = make_participant()
    Participant.objects.filter(pk=twin.pk).update(iin="900215450007")
    monkeypatch.setattr(settings, "DATA_KEYS_FROM_ENV", True)
    monkeypatch.setattr(settings, "DATA_KEYS", [new_key(), *settings.DATA_KEYS])
    call_command("rotate_key")
    twin = Participant.objects.get(pk=twin.pk)
    assert (twin.iin, twin.iin_digest) == ("900215450007", None)
    assert Participant.objects.get(pk=survivor.pk).iin_digest == crypto.blind_index(
        "900215450007", "iin"
    )
