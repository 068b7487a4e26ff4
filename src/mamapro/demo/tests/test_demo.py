from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from mamapro.centres.models import Centre, Membership
from mamapro.core.audit import verify_chain
from mamapro.core.models import User
from mamapro.core.permissions import Role
from mamapro.people.models import Child, ChildAdult, Circumstance, Participant

pytestmark = pytest.mark.django_db


def test_demo_data_is_realistic_and_idempotent() -> None:
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    assert "Mama Pro Centre: http://127.0.0.1:8000/" in out.getvalue()
    counts = (Participant.objects.count(), Child.objects.count(), ChildAdult.objects.count())
    assert 280 <= counts[0] <= 320
    assert set(Centre.objects.values_list("city", flat=True)) == {"Алматы", "Астана"}
    names = " ".join(
        Participant.objects.values_list("given_name", "family_name").values_list(
            "family_name", flat=True
        )
    )
    names += " ".join(Participant.objects.values_list("given_name", flat=True))
    for letter in "әғқңөұүһі":
        assert letter in names.lower(), f"no name uses {letter}"
    needs = set()
    for child in Child.objects.all():
        needs.update(child.support_needs)
    assert {"down_syndrome", "autism"} <= needs
    assert Child.objects.filter(communication="non_verbal").exists()
    assert Child.objects.filter(diet__icontains="gluten_free").exists()
    assert ChildAdult.objects.filter(authorised=False).exists()
    assert Circumstance.objects.of_kind("domestic_violence").exists()
    roles = {"director", "coordinator", "manager", "comms", "trainer", "tutor", "psychologist"}
    assert roles | {"coordinator-astana"} <= set(User.objects.values_list("username", flat=True))
    assert Membership.objects.get(user__username="director").centre is None
    astana = Membership.objects.get(user__username="coordinator-astana").centre
    assert astana is not None
    assert astana.city == "Астана"
    assert Membership.objects.get(user__username="tutor").role == Role.TUTOR
    assert verify_chain().ok
    from mamapro.programs.models import Run
    from mamapro.programs.services.enrollment import seat_counts

    assert Run.objects.count() == 6
    busy = seat_counts(Run.objects.get(course__category="entrepreneurship"))
    assert (busy.paid_confirmed, busy.free_confirmed) == (10, 10)
    assert busy.paid_waitlist > 0
    assert busy.free_waitlist > 0
    from mamapro.kidsroom.models import Booking, Shift

    # Mothers on runs with the kids' room asked for it; tutors are on duty for those sessions.
    assert Shift.objects.filter(tutor__username="tutor").exists()
    assert Booking.objects.filter(status="booked").count() > 10
    from mamapro.counselling.models import Appointment, Note

    assert Appointment.objects.count() == 4
    assert Note.objects.count() == 1

    out = StringIO()
    call_command("demo", "--port", "8001", "--no-serve", stdout=out)
    assert "new this run: 0 participants, 0 children, 0 runs" in out.getvalue()
    assert (
        Participant.objects.count(),
        Child.objects.count(),
        ChildAdult.objects.count(),
    ) == counts


def test_demo_port_is_checked() -> None:
    with pytest.raises(SystemExit):
        call_command("demo", "--port", "0", "--no-serve", stderr=StringIO())


def test_demo_logins_name_real_roles() -> None:
    from mamapro.demo.logins import LOGINS

    assert {login.role for login in LOGINS} == set(Role.values)


@pytest.mark.parametrize("offset", range(7))
def test_demo_timetable_fits_whatever_weekday_it_is_loaded(offset: int) -> None:
    # The demo is loaded on any day of the week; its sessions must never clash in a room.
    import datetime as dt
    import random

    from django.utils import timezone

    from mamapro.conftest import build_almaty, build_astana
    from mamapro.demo import programs as demo_programs
    from mamapro.programs.models import Run, Session

    centres = {"Almaty": build_almaty(), "Astana": build_astana()}
    today = timezone.localdate() + dt.timedelta(days=offset)
    assert demo_programs.load(centres, random.Random(1), today=today) == 6
    workshop = Run.objects.get(course__is_workshop=True)
    assert workshop.starts_on.weekday() == 5
    assert Session.objects.filter(run__centre=centres["Almaty"]).count() > 20
