"""Issue 9, finding 22: `access.may_read` decides alone who reads a counselling note; each
rule has a test at its edge (reducing it to "any logged-in user" fails here, not only behind
the view). And no other path carries a note's text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from mamapro.centres.models import Centre, Membership
from mamapro.conftest import build_user
from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.core.permissions import Role
from mamapro.counselling import access, services

pytestmark = pytest.mark.django_db

TOMORROW = timezone.now() + dt.timedelta(days=1)
SECRET = "Боится, что бывший муж узнает адрес"


@pytest.fixture
def note(personas, survivor):
    appointment = services.book(
        personas["psychologist"], survivor, TOMORROW, TOMORROW + dt.timedelta(hours=1)
    )
    return services.write_note(appointment, personas["psychologist"], SECRET)


def _lead(username: str, centre: Centre) -> User:
    user = build_user(username, Role.PSYCHOLOGIST, centre)
    Membership.objects.filter(user=user).update(clinical_lead=True)
    return user


def _reads(user, note) -> bool:
    perms.forget_principal(user)
    return access.may_read(user, note)


def test_the_author_reads_her_note(personas, note) -> None:
    assert _reads(personas["psychologist"], note)


def test_a_clinical_lead_of_the_centre_reads_it(almaty, note) -> None:
    assert _reads(_lead("lead-almaty", almaty), note)


def test_a_clinical_lead_of_another_centre_does_not(astana, note) -> None:
    assert not _reads(_lead("lead-astana", astana), note)


def test_a_lead_who_is_no_longer_one_does_not(almaty, note) -> None:
    lead = _lead("lead-almaty", almaty)
    Membership.objects.filter(user=lead).update(clinical_lead=False)
    assert not _reads(lead, note)


@pytest.mark.parametrize(
    "who", ["coordinator", "director", "manager", "comms", "trainer", "tutor", "outsider"]
)
def test_no_other_role_reads_it(personas, note, who) -> None:
    assert not _reads(personas[who], note)


def test_another_psychologist_of_the_centre_does_not(almaty, note) -> None:
    assert not _reads(build_user("psychologist-2", Role.PSYCHOLOGIST, almaty), note)


def test_nor_a_superuser_nor_anyone_signed_out(note) -> None:
    root = build_user("root", is_superuser=True, is_staff=True)
    assert not _reads(root, note)
    assert not access.may_read(AnonymousUser(), note)


def test_the_author_who_left_the_centre_does_not(personas, note) -> None:
    Membership.objects.filter(user=personas["psychologist"]).delete()
    assert not _reads(personas["psychologist"], note)


def test_a_lead_elsewhere_passed_as_precomputed_leads_still_does_not(astana, note) -> None:
    lead = _lead("lead-astana", astana)
    assert not access.may_read(lead, note, access.lead_centres(lead))


def test_her_export_carries_no_note(client, personas, survivor, note) -> None:
    client.force_login(personas["director"])
    response = client.get(
        reverse("people:participant_export", args=[survivor.pk]), {"format": "json"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "counselling_appointments" in body
    assert SECRET not in body
