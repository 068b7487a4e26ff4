"""No oracle for "is this IIN registered anywhere?" (issue 9, finding 12).

A coordinator of another centre who types a survivor's IIN gets exactly the answer she gets for
an IIN nobody has: the record is created (or changed), its IIN kept out of the unique index and
flagged in the audit log for the director to merge. Whoever may see the holder (the care team
of her centre) is told plainly that the IIN is already registered.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from mamapro.core.models import AuditEntry
from mamapro.people.models import Participant
from mamapro.people.validators import iin_check_digit

pytestmark = pytest.mark.django_db

HER_IIN = "900215450007"


def _valid_iin(prefix: str) -> str:
    for serial in range(10000):
        first = f"{prefix}{serial:04d}"
        check = iin_check_digit(first)
        if check is not None:
            return first + str(check)
    raise AssertionError("no valid IIN")


def _call(client: Client, headers: dict[str, str], method: str, path: str, body: Any) -> Any:
    return client.generic(
        method,
        "/api/v1" + path,
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def _shape(value: Any) -> Any:
    """The body with every value replaced by its type: what differs only in data is equal."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def _new_woman(centre: Any, phone: str, iin: str) -> dict[str, Any]:
    return {
        "centre": centre.pk,
        "given_name": "Айгерім",
        "family_name": "Сапарова",
        "phone": phone,
        "iin": iin,
        "language": "kk",
    }


def test_another_centre_cannot_tell_a_registered_iin_from_a_new_one(
    client, token_for, personas, survivor, astana
) -> None:
    headers = token_for(personas["outsider"])
    fresh = _call(
        client,
        headers,
        "POST",
        "/participants",
        _new_woman(astana, "87010000001", _valid_iin("9002154")),
    )
    taken = _call(
        client, headers, "POST", "/participants", _new_woman(astana, "87010000002", HER_IIN)
    )
    assert fresh.status_code == taken.status_code == 201, taken.content
    assert _shape(fresh.json()) == _shape(taken.json())
    assert fresh.headers.keys() == taken.headers.keys()
    assert taken.json()["iin"] == HER_IIN, "what she typed is what she reads back"
    copy = Participant.objects.get(pk=taken.json()["id"])
    assert copy.iin == HER_IIN
    assert copy.iin_digest is None, "the blind index stays with the first record"
    flag = AuditEntry.objects.get(details__event="iin_shared")
    assert flag.object_id == str(copy.pk)
    assert flag.details["with"] == survivor.pk
    # Reading it back later, or saving it again, answers the same as for any record.
    again = _call(client, headers, "PATCH", f"/participants/{copy.pk}", {"status": "resident"})
    assert again.status_code == 200
    assert again.json()["iin"] == HER_IIN
    survivor.refresh_from_db()
    assert survivor.iin == HER_IIN
    assert survivor.iin_digest is not None


def test_setting_a_registered_iin_elsewhere_answers_as_any_other_change(
    client, token_for, personas, survivor, astana, make_participant
) -> None:
    mine = make_participant(astana)
    other = make_participant(astana)
    headers = token_for(personas["outsider"])
    fresh = _call(
        client, headers, "PATCH", f"/participants/{mine.pk}", {"iin": _valid_iin("8501014")}
    )
    taken = _call(client, headers, "PATCH", f"/participants/{other.pk}", {"iin": HER_IIN})
    assert fresh.status_code == taken.status_code == 200, taken.content
    assert _shape(fresh.json()) == _shape(taken.json())


def test_the_care_team_that_sees_the_holder_is_told(
    client, token_for, personas, survivor, almaty
) -> None:
    for role in ("coordinator", "director"):
        before = Participant.objects.count()
        response = _call(
            client,
            token_for(personas[role]),
            "POST",
            "/participants",
            _new_woman(almaty, "87010000003", HER_IIN),
        )
        assert response.status_code == 422, role
        assert response.json()["errors"][0]["field"] == "iin"
        assert Participant.objects.count() == before, "nothing was written"
    assert not AuditEntry.objects.filter(details__event="iin_shared").exists()


def test_every_refused_iin_elsewhere_is_refused_for_its_form_only(
    client, token_for, personas, survivor, astana
) -> None:
    """An IIN with a wrong check digit is refused whoever holds what: the refusal depends on the
    typed digits alone, never on the database."""
    headers = token_for(personas["outsider"])
    wrong = HER_IIN[:-1] + str((int(HER_IIN[-1]) + 1) % 10)
    before = Participant.objects.count()
    response = _call(
        client, headers, "POST", "/participants", _new_woman(astana, "87010000004", wrong)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "iin"
    assert Participant.objects.count() == before
