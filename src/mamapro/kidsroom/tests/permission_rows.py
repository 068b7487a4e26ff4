"""Permission rows for the kids' room, web and API, written out by hand per persona.

Tutors, coordinators and the director use the board and check children in and out;
coordinators and the director plan (bookings, shifts), see the safety alerts and read
incidents, which tutors write; the manager sees only the report (snack counts, no names).
The Astana coordinator holds the same rights at her own centre: Almaty's objects are a 404
for her, and a body naming them a 422.
"""

from __future__ import annotations

import datetime as dt

from mamapro.core.tests.rows import ApiRow, Rows, WebRow, World, table

ROOM_STAFF = dict(director=200, coordinator=200, tutor=200)
LEADS = dict(director=200, coordinator=200)
LEADS_REDIRECT = dict(director=302, coordinator=302)


def _build(w: World) -> None:
    from django.utils import timezone

    from mamapro.centres.models import Room
    from mamapro.kidsroom import services as kids
    from mamapro.kidsroom.models import Alert
    from mamapro.people import services as people
    from mamapro.programs.models import Course, Run, Session
    from mamapro.programs.services import enrollment as seats

    almaty = w["almaty"]
    Room.objects.create(centre=almaty, name="Балалар бөлмесі", kind=Room.Kind.KIDS_ROOM, capacity=8)
    today = timezone.localdate()
    run = Run.objects.create(
        course=Course.objects.create(title="Копирайтинг", category="copywriting"),
        centre=almaty,
        starts_on=today,
        ends_on=today + dt.timedelta(days=14),
        price="0.00",
        kids_room=True,
    )
    now = timezone.now()
    session = Session.objects.create(
        run=run,
        centre=almaty,
        starts_at=now - dt.timedelta(minutes=30),
        ends_at=now + dt.timedelta(hours=2),
    )
    room = kids.kids_room_for(almaty.pk)
    assert room is not None
    # The tutor persona's shift and the booking of the survivor's son below are what bring him
    # (and his mother) within her reach (kidsroom/reach.py); the second child, not booked, is
    # out of it.
    tutor = w["personas"]["tutor"]
    kids.add_shift(room, tutor, now - dt.timedelta(hours=1), now + dt.timedelta(hours=3))
    spare = kids.add_shift(room, w["personas"]["coordinator"], now, now + dt.timedelta(hours=1))
    seats.enroll(run, w["participant"], "paid")
    booking = kids.book(session, w["child"])
    second_mother = people.create_participant(
        centre=almaty,
        data={"given_name": "Динара", "family_name": "Әбенова", "phone": "+77015550177"},
    )
    seats.enroll(run, second_mother, "paid")
    second_child = people.add_child(
        second_mother, data={"given_name": "Алдияр", "birth_date": dt.date(2021, 6, 1)}
    )
    alert = Alert.objects.create(
        centre=almaty, kind="check_out_blocked", child=w["child"], adult=w["adult"], named="Ерлан"
    )
    w.update(
        kids_session=session,
        booking=booking,
        spare_shift=spare,
        second_child=second_child,
        alert=alert,
    )


def _ids(w: World) -> dict[str, int]:
    return {
        "booking_id": w["booking"].pk,
        "shift_id": w["spare_shift"].pk,
        "alert_id": w["alert"].pk,
    }


def _booking(w: World) -> dict[str, int]:
    return {"pk": w["booking"].pk}


ROWS = Rows(
    web={
        "kidsroom:board": WebRow("get", table(403, **ROOM_STAFF, outsider=200)),
        "kidsroom:check_in": WebRow(
            "post",
            table(403, director=302, coordinator=302, tutor=302, outsider=404),
            kwargs=_booking,
            data=lambda w: {"brought_by_name": "Әсел Қасымова"},
        ),
        # Not checked in: allowed, then refused with a message on the board (a redirect).
        "kidsroom:check_out": WebRow(
            "post",
            table(403, director=302, coordinator=302, tutor=302, outsider=404),
            kwargs=_booking,
            data=lambda w: {"collected_by_name": "Әсел Қасымова"},
        ),
        "kidsroom:cancel_booking": WebRow(
            "post", table(403, **LEADS_REDIRECT, outsider=404), kwargs=_booking
        ),
        "kidsroom:session_bookings": WebRow(
            "get", table(403, **LEADS, outsider=404), kwargs=lambda w: {"pk": w["kids_session"].pk}
        ),
        "kidsroom:shifts": WebRow("get", table(403, **LEADS, outsider=200)),
        "kidsroom:shift_delete": WebRow(
            "post",
            table(403, **LEADS_REDIRECT, outsider=404),
            kwargs=lambda w: {"pk": w["spare_shift"].pk},
        ),
        "kidsroom:rules": WebRow(
            "post",
            table(403, **LEADS_REDIRECT, outsider=404),
            kwargs=lambda w: {"pk": w["almaty"].pk},
            data=lambda w: {"children_per_tutor": 5, "high_support_per_tutor": 2},
        ),
        "kidsroom:alerts": WebRow("get", table(403, **LEADS, outsider=200)),
        "kidsroom:alert_acknowledge": WebRow(
            "post",
            table(403, **LEADS_REDIRECT, outsider=404),
            kwargs=lambda w: {"pk": w["alert"].pk},
        ),
        "kidsroom:incident_create": WebRow(
            "get", table(403, **ROOM_STAFF, outsider=404), kwargs=lambda w: {"pk": w["child"].pk}
        ),
        "kidsroom:incidents": WebRow("get", table(403, **LEADS, outsider=200)),
        "kidsroom:report": WebRow("get", table(403, **ROOM_STAFF, manager=200, outsider=200)),
    },
    api={
        ("GET", "/kidsroom/bookings"): ApiRow(table(403, **ROOM_STAFF, outsider=200)),
        ("POST", "/kidsroom/bookings"): ApiRow(
            table(403, director=201, coordinator=201, outsider=422),
            body=lambda w: {"child": w["second_child"].pk, "session": w["kids_session"].pk},
        ),
        ("POST", "/kidsroom/bookings/{booking_id}/cancel"): ApiRow(
            table(403, **LEADS, outsider=404)
        ),
        ("POST", "/kidsroom/checkins"): ApiRow(
            table(403, director=201, coordinator=201, tutor=201, outsider=422),
            body=lambda w: {
                "child": w["child"].pk,
                "session": w["kids_session"].pk,
                "adult_name": "Әсел Қасымова",
            },
        ),
        # Her mother, but the child is not checked in: allowed, then refused by state.
        ("POST", "/kidsroom/checkouts"): ApiRow(
            table(403, director=409, coordinator=409, tutor=409, outsider=422),
            body=lambda w: {
                "child": w["child"].pk,
                "session": w["kids_session"].pk,
                "adult": w["child"].adults.get(relation="mother").pk,
            },
        ),
        ("GET", "/kidsroom/shifts"): ApiRow(table(403, **ROOM_STAFF, outsider=200)),
        ("POST", "/kidsroom/shifts"): ApiRow(
            table(403, director=201, coordinator=201, outsider=422),
            body=lambda w: {
                "tutor": w["personas"]["tutor"].pk,
                "starts_at": f"{dt.date.today() + dt.timedelta(days=1)}T09:00:00",
                "ends_at": f"{dt.date.today() + dt.timedelta(days=1)}T13:00:00",
            },
        ),
        ("DELETE", "/kidsroom/shifts/{shift_id}"): ApiRow(
            table(403, director=204, coordinator=204, outsider=404)
        ),
        ("GET", "/kidsroom/alerts"): ApiRow(table(403, **LEADS, outsider=200)),
        ("POST", "/kidsroom/alerts/{alert_id}/acknowledge"): ApiRow(
            table(403, **LEADS, outsider=404)
        ),
        ("GET", "/kidsroom/incidents"): ApiRow(table(403, **LEADS, outsider=200)),
        ("POST", "/kidsroom/incidents"): ApiRow(
            table(403, director=201, coordinator=201, tutor=201, outsider=422),
            body=lambda w: {
                "child": w["child"].pk,
                "kind": "injury",
                "what_happened": "Упал, ссадина на колене",
                "action_taken": "Обработали, приложили лёд",
                "parent_informed": True,
            },
        ),
    },
    build=_build,
    path_ids=_ids,
)
