"""Permission rows for the programmes API: courses, runs, sessions, enrollments, fees, topics.

Written out by hand per persona. Reading programmes: every role that runs or serves a centre
(not the psychologist). Courses are network-wide, so the Astana coordinator reads and edits
them; Almaty's runs, sessions, enrollments and topics are a 404 for her, and a body naming
Almaty's centre, run or participant is a 422.
"""

from __future__ import annotations

import datetime as dt

from mamapro.core.tests.rows import ApiRow, Rows, World, table

READERS = dict(director=200, coordinator=200, manager=200, comms=200, trainer=200, tutor=200)
EDITORS = dict(director=200, coordinator=200)
CREATORS = dict(director=201, coordinator=201)


def _build(w: World) -> None:
    from mamapro.people import services as people
    from mamapro.programs.services import enrollment as seats
    from mamapro.programs.services import topics

    def woman(given: str, family: str, phone: str):
        return people.create_participant(
            centre=w["almaty"],
            data={"given_name": given, "family_name": family, "phone": phone, "language": "ru"},
        )

    payer = woman("Гүлмира", "Жұмабаева", "+77015550101")
    paid = seats.enroll(w["run"], payer, "paid")
    w.update(
        paid_enrollment=paid,
        fee=paid.fee,
        new_woman=woman("Динара", "Ахметова", "+77015550102"),
        topic=topics.propose_topic(w["almaty"], title="Налоги для ИП"),
    )


def _day(w: World, days: int) -> str:
    from django.utils import timezone

    return str(timezone.localdate() + dt.timedelta(days=days))


ROWS = Rows(
    api={
        # Courses: network-wide.
        ("GET", "/courses"): ApiRow(table(403, **READERS, outsider=200)),
        ("POST", "/courses"): ApiRow(
            table(403, **CREATORS, outsider=201),
            body=lambda w: {"title": "Копирайтинг для мам", "category": "copywriting"},
        ),
        ("GET", "/courses/{course_id}"): ApiRow(table(403, **READERS, outsider=200)),
        ("PATCH", "/courses/{course_id}"): ApiRow(
            table(403, **EDITORS, outsider=200),
            body=lambda w: {"description": "Word, Excel, госуслуги"},
        ),
        # Runs.
        ("GET", "/runs"): ApiRow(table(403, **READERS, outsider=200)),
        ("POST", "/runs"): ApiRow(
            table(403, **CREATORS, outsider=422),
            body=lambda w: {
                "course": w["course"].pk,
                "centre": w["almaty"].pk,
                "starts_on": _day(w, 30),
                "ends_on": _day(w, 60),
                "price": "20000.00",
            },
        ),
        ("GET", "/runs/{run_id}"): ApiRow(table(403, **READERS, outsider=404)),
        ("PATCH", "/runs/{run_id}"): ApiRow(
            table(403, **EDITORS, outsider=404),
            body=lambda w: {"kids_room": False, "paid_seats": 12},
        ),
        ("POST", "/runs/{run_id}/sponsored-seats"): ApiRow(
            table(403, **EDITORS, outsider=404),
            body=lambda w: {"seats": 2, "sponsor": "Фонд «Шапағат»"},
        ),
        # Sessions.
        ("GET", "/runs/{run_id}/sessions"): ApiRow(table(403, **READERS, outsider=404)),
        ("POST", "/runs/{run_id}/sessions"): ApiRow(
            table(403, **CREATORS, outsider=404),
            body=lambda w: {
                "starts_at": f"{_day(w, 2)}T10:00:00",
                "ends_at": f"{_day(w, 2)}T12:00:00",
            },
        ),
        ("POST", "/runs/{run_id}/sessions/generate"): ApiRow(
            table(403, **CREATORS, outsider=404),
            body=lambda w: {"weekdays": [1, 3], "start_time": "18:00", "end_time": "20:00"},
        ),
        ("GET", "/sessions/{session_id}"): ApiRow(table(403, **READERS, outsider=404)),
        ("PATCH", "/sessions/{session_id}"): ApiRow(
            table(403, **EDITORS, outsider=404), body=lambda w: {"topic": "Таблицы Excel"}
        ),
        # Enrollments: read with the programme, changed by coordinators and the director.
        ("GET", "/enrollments"): ApiRow(table(403, **READERS, outsider=200)),
        ("POST", "/enrollments"): ApiRow(
            table(403, **CREATORS, outsider=422),
            body=lambda w: {
                "participant": w["new_woman"].pk,
                "run": w["run"].pk,
                "seat_type": "paid",
            },
        ),
        ("GET", "/enrollments/{enrollment_id}"): ApiRow(table(403, **READERS, outsider=404)),
        ("POST", "/enrollments/{enrollment_id}/withdraw"): ApiRow(
            table(403, **EDITORS, outsider=404)
        ),
        # The world's enrollment is confirmed, not offered: allowed, then refused by state.
        ("POST", "/enrollments/{enrollment_id}/accept"): ApiRow(
            table(403, director=409, coordinator=409, outsider=404)
        ),
        ("POST", "/enrollments/{enrollment_id}/decline"): ApiRow(
            table(403, director=409, coordinator=409, outsider=404)
        ),
        ("POST", "/enrollments/{enrollment_id}/seat-type"): ApiRow(
            table(403, **EDITORS, outsider=404), body=lambda w: {"seat_type": "paid"}
        ),
        # Fees: the manager's work.
        ("GET", "/fees"): ApiRow(table(403, **EDITORS, manager=200, outsider=200)),
        ("PATCH", "/fees/{fee_id}"): ApiRow(
            table(403, **EDITORS, manager=200, outsider=404), body=lambda w: {"status": "paid"}
        ),
        # Workshop topics: communications gathers them; a vote names a woman.
        ("GET", "/topics"): ApiRow(table(403, **EDITORS, comms=200, outsider=200)),
        ("POST", "/topics"): ApiRow(
            table(403, **CREATORS, comms=201, outsider=422),
            body=lambda w: {"centre": w["almaty"].pk, "title": "Продажи в Instagram"},
        ),
        ("POST", "/topics/{topic_id}/vote"): ApiRow(
            table(403, **CREATORS, comms=422, outsider=404),
            body=lambda w: {"participant": w["participant"].pk},
        ),
        ("PATCH", "/topics/{topic_id}"): ApiRow(
            table(403, **EDITORS, outsider=404), body=lambda w: {"status": "closed"}
        ),
    },
    build=_build,
    path_ids=lambda w: {"fee_id": w["fee"].pk, "topic_id": w["topic"].pk},
)
