"""The kids' room through the web pages and the API: every path to a restricted adult is
blocked and alerts the coordinator; state conflicts answer 409; pages run fixed queries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.core.models import AuditEntry
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert, Booking
from mamapro.notify.models import Notification
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db


@pytest.fixture
def now_session(make_session):
    """A session that started half an hour ago: check-in is open."""
    now = timezone.now()
    return make_session(now - dt.timedelta(minutes=30), now + dt.timedelta(hours=2))


@pytest.fixture
def booked(kids_run, now_session, on_shift, child) -> Booking:
    now = timezone.now()
    on_shift(1, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))
    seats.enroll(kids_run, child.parent, "paid")
    return kids.book(now_session, child)


def _api(client, token_for, user, method: str, path: str, body=None):
    return client.generic(
        method,
        "/api/v1" + path,
        data=None if body is None else json.dumps(body),
        content_type="application/json",
        headers=token_for(user),
    )


class TestRestrictedAdultOnEveryPath:
    def test_web_forged_choice_of_the_restricted_adult(
        self, client, personas, booked, child, restricted_adult
    ) -> None:
        kids.check_in(booked.session, child, brought_by="Әсел Қасымова")
        client.force_login(personas["tutor"])
        response = client.post(
            reverse("kidsroom:check_out", args=[booked.pk]), {"collected_by": restricted_adult.pk}
        )
        assert response.status_code == 403
        page = response.content.decode()
        assert "STOP" in page
        assert "Do not hand Әлихан to Ерлан Қ. (father)." in page
        assert "Ерлан Қасымов" not in page
        assert "The coordinator and the director have been alerted." in page
        assert "Protective order" not in page  # the court note is not the tutor's
        assert Booking.objects.get(pk=booked.pk).checked_out_at is None
        assert Alert.objects.get().raised_by == personas["tutor"]

    def test_web_named_restricted_adult_and_the_coordinator_sees_the_note(
        self, client, personas, booked, child
    ) -> None:
        kids.check_in(booked.session, child, brought_by="Әсел Қасымова")
        client.force_login(personas["coordinator"])
        response = client.post(
            reverse("kidsroom:check_out", args=[booked.pk]), {"collected_by_name": "ЕРЛАН ҚАСЫМОВ"}
        )
        assert response.status_code == 403
        assert "Protective order 123/2026" in response.content.decode()
        assert Booking.objects.get(pk=booked.pk).checked_out_at is None

    def test_api_restricted_adult_is_403_with_an_alert(
        self, client, token_for, personas, booked, child, restricted_adult
    ) -> None:
        kids.check_in(booked.session, child, brought_by="Әсел Қасымова")
        body = {"child": child.pk, "session": booked.session_id, "adult": restricted_adult.pk}
        response = _api(client, token_for, personas["tutor"], "POST", "/kidsroom/checkouts", body)
        assert response.status_code == 403
        assert "must never receive this child" in response.json()["detail"]
        by_name = dict(body, adult=None, adult_name="ерлан қасымов")
        response = _api(
            client, token_for, personas["tutor"], "POST", "/kidsroom/checkouts", by_name
        )
        assert response.status_code == 403
        assert Alert.objects.count() == 2
        assert Booking.objects.get(pk=booked.pk).checked_out_at is None
        # The alert reaches the coordinator: in the API, on the page, as a notification.
        listed = _api(
            client, token_for, personas["coordinator"], "GET", "/kidsroom/alerts?open=true"
        )
        assert listed.json()["count"] == 2
        assert {n.recipient.username for n in Notification.objects.all()} == {
            "coordinator",
            "director",
        }
        client.force_login(personas["coordinator"])
        page = client.get(reverse("kidsroom:alerts")).content.decode()
        assert "Check-out to a restricted adult blocked" in page
        assert "Protective order 123/2026" in page
        board = client.get(reverse("kidsroom:board")).content.decode()
        assert "2 safety alerts are waiting for you." in board

    def test_the_tutor_is_never_offered_the_restricted_adult(
        self, client, personas, booked, child, restricted_adult
    ) -> None:
        client.force_login(personas["tutor"])
        board = client.get(reverse("kidsroom:board")).content.decode()
        assert "Әсел Қасымова" in board
        assert restricted_adult.name not in board
        kids.check_in(booked.session, child, brought_by="Әсел Қасымова")
        board = client.get(reverse("kidsroom:board")).content.decode()
        assert f'value="{restricted_adult.pk}"' not in board


class TestApiConflicts:
    def test_booking_a_full_room_names_what_is_missing(
        self, client, token_for, personas, now_session, on_shift, make_mother
    ) -> None:
        now = timezone.now()
        on_shift(1, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))
        for _ in range(4):
            kids.book(now_session, make_mother())
        body = {"child": make_mother().pk, "session": now_session.pk}
        response = _api(
            client, token_for, personas["coordinator"], "POST", "/kidsroom/bookings", body
        )
        assert response.status_code == 409
        assert response.json()["detail"].startswith("One more tutor is needed")
        waiting = _api(
            client,
            token_for,
            personas["coordinator"],
            "POST",
            "/kidsroom/bookings",
            dict(body, waitlist=True),
        )
        assert waiting.status_code == 201
        assert waiting.json()["status"] == "waitlisted"
        assert waiting.json()["missing"].startswith("One more tutor is needed")

    def test_double_check_in_and_check_out_without_check_in(
        self, client, token_for, personas, booked, child
    ) -> None:
        mother = child.adults.get(relation="mother")
        out = {"child": child.pk, "session": booked.session_id, "adult": mother.pk}
        early = _api(client, token_for, personas["tutor"], "POST", "/kidsroom/checkouts", out)
        assert early.status_code == 409
        assert "has not been checked in" in early.json()["detail"]
        body = {"child": child.pk, "session": booked.session_id, "adult_name": "Әсел Қасымова"}
        first = _api(client, token_for, personas["tutor"], "POST", "/kidsroom/checkins", body)
        assert first.status_code == 201
        assert first.json()["brought_by"] == "Әсел Қасымова"
        again = _api(client, token_for, personas["tutor"], "POST", "/kidsroom/checkins", body)
        assert again.status_code == 409
        done = _api(client, token_for, personas["tutor"], "POST", "/kidsroom/checkouts", out)
        assert done.status_code == 201
        assert done.json()["collected_by_name"] == "Әсел Қасымова"

    def test_another_centres_child_is_a_422_naming_the_field(
        self, client, token_for, personas, booked, child
    ) -> None:
        body = {"child": child.pk, "session": booked.session_id, "adult_name": "Әсел"}
        response = _api(client, token_for, personas["outsider"], "POST", "/kidsroom/checkins", body)
        assert response.status_code == 422
        assert {e["field"] for e in response.json()["errors"]} == {"session"}


def test_the_board_shows_the_needs_card_audits_it_and_runs_fixed_queries(
    client, personas, kids_run, now_session, on_shift, make_mother, child, django_assert_num_queries
) -> None:
    now = timezone.now()
    on_shift(2, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))
    seats.enroll(kids_run, child.parent, "paid")
    kids.book(now_session, child)
    client.force_login(personas["tutor"])
    page = client.get(reverse("kidsroom:board")).content.decode()
    for text in ("Әлихан", "High support", "Non-verbal", "Gluten-free", "Депакин", "Check in"):
        assert text in page, text
    read = AuditEntry.objects.filter(action="read_sensitive", object_id=str(child.pk)).last()
    assert read is not None
    assert "medication" in read.fields

    def count(n_children: int) -> int:
        for _ in range(n_children):
            kids.book(now_session, make_mother())
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("kidsroom:board")).status_code == 200
        return len(ctx.captured_queries)

    assert count(1) == count(3)


def test_incidents_reach_the_mothers_record(client, personas, booked, child) -> None:
    kids.record_incident(
        child,
        kind="allergy",
        what_happened="Красные пятна после печенья",
        action_taken="Дали воду, позвонили маме",
        parent_informed=True,
        actor=personas["tutor"],
    )
    client.force_login(personas["coordinator"])
    page = client.get(reverse("people:participant_detail", args=[child.parent_id])).content.decode()
    assert "Kids' room incidents" in page
    assert "Красные пятна после печенья" in page
    client.force_login(personas["manager"])
    page = client.get(reverse("people:participant_detail", args=[child.parent_id])).content.decode()
    assert "Красные пятна" not in page


def test_the_report_counts_snacks_without_names(client, personas, booked, child) -> None:
    client.force_login(personas["manager"])
    page = client.get(reverse("kidsroom:report")).content.decode()
    assert "1 child expected." in page
    assert "Gluten-free" in page
    assert "Әлихан" not in page


def test_the_board_shows_her_photo_only_with_consent(client, personas, booked, child) -> None:
    from mamapro.people import services as people
    from mamapro.people.tests.permission_rows import jpeg_upload

    consent = people.record_consent(child.parent, kind="photos", version="2026-1")
    people.set_child_photo(child, jpeg_upload())
    photo = reverse("people:child_photo", args=[child.pk])
    client.force_login(personas["tutor"])
    assert photo in client.get(reverse("kidsroom:board")).content.decode()
    people.revoke_consent(consent)
    assert photo not in client.get(reverse("kidsroom:board")).content.decode()


def test_an_open_alert_is_on_the_coordinators_home_page_until_handled(
    client, personas, booked, child, restricted_adult
) -> None:
    kids.check_in(booked.session, child, brought_by="Әсел")
    with pytest.raises(kids.RestrictedAdult) as caught:
        kids.check_out(booked.session, child, adult=restricted_adult, actor=personas["tutor"])
    client.force_login(personas["coordinator"])
    home = client.get(reverse("home")).content.decode()
    assert "1 kids&#x27; room safety alert is waiting for you." in home
    client.force_login(personas["tutor"])
    assert "safety alert" not in client.get(reverse("home")).content.decode()
    kids.acknowledge(caught.value.alert, actor=personas["coordinator"])
    client.force_login(personas["director"])
    assert "safety alert" not in client.get(reverse("home")).content.decode()
