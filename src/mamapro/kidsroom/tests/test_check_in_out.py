"""Check-in and check-out: only to an adult on the child's list; a restricted adult — chosen
or named — is refused, and the coordinator and the director are alerted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert, Booking, Incident
from mamapro.kidsroom.tests.conftest import at
from mamapro.notify.models import Notification
from mamapro.people.models import Child, ChildAdult
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db

DURING = at(14, 30)


@pytest.fixture
def booked(kids_run, session, on_shift, child: Child, personas) -> Booking:
    """The survivor's son (high support; his father is restricted), booked for the session."""
    on_shift(1)
    seats.enroll(kids_run, child.parent, "paid")
    return kids.book(session, child)


def test_check_in_and_out_to_his_mother(booked: Booking, session, child, personas) -> None:
    tutor = personas["tutor"]
    kids.check_in(session, child, brought_by="Әсел Қасымова", actor=tutor, now=at(13, 50))
    mother = child.adults.get(relation="mother")
    done = kids.check_out(session, child, adult=mother, actor=tutor, now=at(16, 5))
    assert done.collected_by == mother
    assert done.checked_in_at == at(13, 50)
    assert done.checked_out_by == tutor
    events = list(
        AuditEntry.objects.filter(object_type="kidsroom.booking", object_id=str(booked.pk))
        .order_by("seq")
        .values_list("details__event", flat=True)
    )
    assert events == ["booked", "checked_in", "checked_out"]


def test_check_out_by_name_matches_any_spelling(booked, session, child) -> None:
    kids.check_in(session, child, brought_by="Әсел", now=DURING)
    done = kids.check_out(session, child, adult_name="  асел   КАСЫМОВА ", now=at(16))
    assert done.collected_by is not None
    assert done.collected_by.relation == "mother"


@pytest.mark.parametrize("how", ["chosen", "named", "named-differently"])
def test_a_restricted_adult_never_receives_the_child(
    booked, session, child, personas, restricted_adult: ChildAdult, how: str
) -> None:
    kids.check_in(session, child, brought_by="Әсел Қасымова", now=DURING)
    tutor = personas["tutor"]
    kwargs: dict = {"adult": restricted_adult} if how == "chosen" else {}
    if how == "named":
        kwargs["adult_name"] = "Ерлан Қасымов"
    if how == "named-differently":
        kwargs["adult_name"] = "ерлан  касымов"
    with pytest.raises(kids.RestrictedAdult) as caught:
        kids.check_out(session, child, actor=tutor, now=at(15), **kwargs)
    said = str(caught.value)
    assert (
        "STOP. Do not hand the child over: the adult you chose or named (Ерлан Қ., father)" in said
    )
    assert "Қасымов" not in said  # his surname (often hers) is not the tutor's to learn
    booking = Booking.objects.get(pk=booked.pk)
    assert booking.checked_out_at is None
    assert booking.collected_by is None
    alert = Alert.objects.get()
    assert (alert.kind, alert.adult, alert.child, alert.raised_by) == (
        "check_out_blocked",
        restricted_adult,
        child,
        tutor,
    )
    told = set(
        Notification.objects.filter(kind="restricted_adult").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"coordinator", "director"}
    assert Notification.objects.filter(urgent=True, object_id=str(alert.pk)).count() == 2
    # The child is still in the room, and her mother can still collect her.
    kids.check_out(session, child, adult=child.adults.get(relation="mother"), now=at(16))


def test_an_unknown_name_is_not_an_adult_on_her_list(booked, session, child) -> None:
    kids.check_in(session, child, brought_by="Әсел", now=DURING)
    with pytest.raises(ValidationError, match="Nobody of that name may collect this child"):
        kids.check_out(session, child, adult_name="Someone Else", now=at(16))
    assert Booking.objects.get(pk=booked.pk).checked_out_at is None
    assert not Alert.objects.exists()


def test_another_childs_adult_is_refused(booked, session, child, make_mother) -> None:
    other = make_mother()
    kids.check_in(session, child, brought_by="Әсел", now=DURING)
    with pytest.raises(ValidationError, match="not on this child's list"):
        kids.check_out(session, child, adult=other.adults.get(), now=at(16))


def test_brought_by_a_restricted_adult_checks_in_and_alerts(booked, session, child) -> None:
    done = kids.check_in(session, child, brought_by="Ерлан Қасымов", now=DURING)
    assert done.checked_in_at == DURING
    assert done.alert is not None
    assert done.alert.kind == "brought_by_restricted"
    assert Notification.objects.count() == 2


class TestStateConflicts:
    def test_check_out_without_check_in(self, booked, session, child) -> None:
        before = AuditEntry.objects.count()
        with pytest.raises(Conflict, match="has not been checked in"):
            kids.check_out(session, child, adult=child.adults.get(relation="mother"), now=DURING)
        assert AuditEntry.objects.count() == before

    def test_double_check_in(self, booked, session, child) -> None:
        kids.check_in(session, child, brought_by="Әсел", now=DURING)
        before = AuditEntry.objects.count()
        with pytest.raises(Conflict, match="already checked in at 14:30"):
            kids.check_in(session, child, brought_by="Әсел", now=at(14, 40))
        assert AuditEntry.objects.count() == before

    def test_double_check_out(self, booked, session, child) -> None:
        mother = child.adults.get(relation="mother")
        kids.check_in(session, child, brought_by="Әсел", now=DURING)
        kids.check_out(session, child, adult=mother, now=at(16))
        with pytest.raises(
            Conflict, match=r"already checked out at 16:00 \(collected by Әсел Қ\.\)"
        ):
            kids.check_out(session, child, adult=mother, now=at(16, 5))

    def test_a_child_not_booked(self, session, on_shift, make_mother) -> None:
        with pytest.raises(Conflict, match="not booked for this session"):
            kids.check_in(session, make_mother(), brought_by="Жанар", now=DURING)

    def test_a_waiting_child(self, kids_room, session, make_mother) -> None:
        child = make_mother()
        kids.book(session, child, waitlist=True)
        with pytest.raises(Conflict, match="still waiting for a place"):
            kids.check_in(session, child, brought_by="Жанар", now=DURING)

    def test_too_early_and_too_late(self, booked, session, child) -> None:
        with pytest.raises(Conflict, match="opens an hour before"):
            kids.check_in(session, child, brought_by="Әсел", now=at(12, 30))
        with pytest.raises(Conflict, match="session is over"):
            kids.check_in(session, child, brought_by="Әсел", now=at(16, 1))

    def test_who_brought_her_is_required(self, booked, session, child) -> None:
        with pytest.raises(ValidationError) as caught:
            kids.check_in(session, child, brought_by="  ", now=DURING)
        assert caught.value.message_dict == {"adult_name": ["Write who brought the child."]}

    def test_a_child_from_another_centre(self, booked, session, astana, make_participant) -> None:
        from mamapro.people import services as people

        mother = make_participant(astana, phone="+77071231234")
        kid = people.add_child(mother, data={"given_name": "Ая", "birth_date": dt.date(2020, 2, 2)})
        with pytest.raises(ValidationError, match="another centre"):
            kids.check_in(session, kid, brought_by="Ана", now=DURING)


def test_incidents_are_recorded_and_checked(booked, child, personas) -> None:
    incident = kids.record_incident(
        child,
        kind="seizure",
        what_happened="Short seizure at 15:10, about a minute.",
        action_taken="Recovery position, called his mother.",
        parent_informed=True,
        booking=booked,
        actor=personas["tutor"],
    )
    assert Incident.objects.get() == incident
    with pytest.raises(ValidationError) as caught:
        kids.record_incident(
            child, kind="nonsense", what_happened="", action_taken="", parent_informed=False
        )
    assert set(caught.value.message_dict) == {"kind", "what_happened", "action_taken"}
    assert Incident.objects.count() == 1


def test_erasing_her_keeps_the_visits_and_forgets_the_adults(booked, session, child) -> None:
    from mamapro.people import subject_rights

    kids.check_in(session, child, brought_by="Әсел Қасымова", now=DURING)
    kids.check_out(session, child, adult=child.adults.get(relation="mother"), now=at(16))
    kids.record_incident(
        child, kind="injury", what_happened="Упал", action_taken="Лёд", parent_informed=True
    )
    subject_rights.erase(child.parent)
    visit = Booking.objects.get(pk=booked.pk)
    assert visit.checked_in_at is not None  # the visit still counts
    assert visit.checked_out_at is not None
    assert (visit.brought_by, visit.collected_by) == ("", None)
    assert Incident.objects.get().what_happened == "—"
