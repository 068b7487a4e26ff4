"""Courses and runs through the API: contract fields, money, validation naming each field,
centre scoping, run edits through the seat service, and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from mamapro.core.models import AuditEntry
from mamapro.programs.models import Course, Run, SeatChange, Session
from mamapro.programs.tests.api_client import Api, error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, token_for) -> Api:
    return Api(client, token_for)


def _day(days: int) -> str:
    return str(timezone.localdate() + dt.timedelta(days=days))


# --- Courses ------------------------------------------------------------------------------------
def test_create_and_read_a_course(api, personas) -> None:
    api.as_(personas["coordinator"])
    body = api.ok(
        "POST",
        "/courses",
        {"title": "  Компьютерная грамотность ", "category": "computer_literacy"},
        expect=201,
    )
    assert (body["title"], body["category"], body["language"]) == (
        "Компьютерная грамотность",
        "computer_literacy",
        "ru",
    )
    assert api.ok("GET", f"/courses/{body['id']}")["id"] == body["id"]
    assert AuditEntry.objects.filter(object_type="programs.course", action="create").exists()


def test_courses_are_network_wide(api, personas, course) -> None:
    # The Astana coordinator reads the course Almaty teaches; the psychologist reads none.
    assert api.as_(personas["outsider"]).ok("GET", "/courses")["count"] == 1
    assert api.call("GET", f"/courses/{course.pk}").status_code == 200
    assert api.as_(personas["psychologist"]).call("GET", "/courses").status_code == 403
    new = {"title": "Копирайтинг", "category": "copywriting"}
    assert api.as_(personas["trainer"]).call("POST", "/courses", new).status_code == 403


def test_course_search_folds_kazakh_and_case(api, personas) -> None:
    for title, category in [
        ("Кәсіпкерлік негіздері", "entrepreneurship"),
        ("Копирайтинг", "copywriting"),
        ("Excel для начинающих", "computer_literacy"),
    ]:
        Course.objects.create(title=title, category=category)
    api.as_(personas["comms"])
    for query in ["кәсіп", "КӘСІП", "КАСИП", "негіз"]:
        found = api.ok("GET", "/courses", search=query)
        assert [c["title"] for c in found["items"]] == ["Кәсіпкерлік негіздері"], query
    assert api.ok("GET", "/courses", search="excel")["count"] == 1
    assert api.ok("GET", "/courses", category="copywriting")["count"] == 1
    assert api.ok("GET", "/courses", limit=2)["count"] == 3


def test_course_input_errors_name_each_field(api, personas, course) -> None:
    api.as_(personas["coordinator"])
    response = api.call("POST", "/courses", {"title": "", "category": "cooking", "language": "de"})
    assert error_fields(response) == {"title", "category", "language"}
    response = api.call("PATCH", f"/courses/{course.pk}", {"title": None, "category": "x"})
    assert error_fields(response) == {"category"}
    response = api.call("PATCH", f"/courses/{course.pk}", {"title": None})
    assert error_fields(response) == {"title"}
    assert api.call("GET", "/courses/999999").status_code == 404


def test_patch_a_course(api, personas, course) -> None:
    body = api.as_(personas["director"]).ok(
        "PATCH", f"/courses/{course.pk}", {"description": "Бизнес-план", "is_workshop": True}
    )
    assert (body["description"], body["is_workshop"]) == ("Бизнес-план", True)
    assert body["title"] == course.title


# --- Runs ----------------------------------------------------------------------------------------
def _new_run(course, centre, **extra):
    return {
        "course": course.pk,
        "centre": centre.pk,
        "starts_on": _day(14),
        "ends_on": _day(42),
        "paid_seats": 8,
        "free_seats": 12,
        "price": "15000.00",
        **extra,
    }


def test_create_a_run_with_the_contract_fields(api, personas, course, almaty) -> None:
    api.as_(personas["coordinator"])
    body = api.ok(
        "POST",
        "/runs",
        _new_run(course, almaty, trainer=personas["trainer"].pk, kids_room=False),
        expect=201,
    )
    for name in [
        "id",
        "course",
        "centre",
        "starts_on",
        "ends_on",
        "paid_seats",
        "free_seats",
        "price",
        "kids_room",
    ]:
        assert name in body
    assert (body["price"], body["currency"]) == ("15000.00", "KZT")
    assert (body["paid_seats"], body["free_seats"], body["kids_room"]) == (8, 12, False)
    assert (body["paid_left"], body["free_left"], body["paid_confirmed"]) == (8, 12, 0)
    assert body["trainer"] == personas["trainer"].pk
    assert body["title"] == course.title
    assert body["status"] == "published"
    detail = api.ok("GET", f"/runs/{body['id']}")
    assert detail == body
    assert AuditEntry.objects.filter(object_type="programs.run", action="create").exists()


@pytest.mark.parametrize("price", [15000, "15000", 15000.0, "15000.00"])
def test_price_in_any_plain_form_answers_a_decimal_string(
    api, personas, course, almaty, price
) -> None:
    body = api.as_(personas["director"]).ok(
        "POST", "/runs", _new_run(course, almaty, price=price), expect=201
    )
    assert body["price"] == "15000.00"


def test_negative_numbers_are_422_naming_each_field(api, personas, course, almaty) -> None:
    response = api.as_(personas["coordinator"]).call(
        "POST", "/runs", _new_run(course, almaty, price="-1", paid_seats=-2, free_seats=-3)
    )
    assert error_fields(response) == {"price", "paid_seats", "free_seats"}
    assert not Run.objects.exists()


@pytest.mark.parametrize("price", ["abc", "1.005", "NaN", "100000000"])
def test_a_price_that_is_not_money_is_422(api, personas, course, almaty, price) -> None:
    response = api.as_(personas["coordinator"]).call(
        "POST", "/runs", _new_run(course, almaty, price=price)
    )
    assert error_fields(response) == {"price"}


def test_dates_past_or_backwards_are_422(api, personas, course, almaty) -> None:
    api.as_(personas["coordinator"])
    past = api.call("POST", "/runs", _new_run(course, almaty, starts_on=_day(-1)))
    assert error_fields(past) == {"starts_on"}
    backwards = api.call("POST", "/runs", _new_run(course, almaty, ends_on=_day(13)))
    assert error_fields(backwards) == {"ends_on"}
    not_a_date = api.call("POST", "/runs", _new_run(course, almaty, starts_on="2026-02-30"))
    assert error_fields(not_a_date) == {"starts_on"}
    # Starting today is fine.
    api.ok("POST", "/runs", _new_run(course, almaty, starts_on=_day(0)), expect=201)


def test_references_are_named_when_unknown_or_not_hers(
    api, personas, course, almaty, astana, make_user
) -> None:
    api.as_(personas["coordinator"])
    response = api.call("POST", "/runs", _new_run(course, astana))
    assert error_fields(response) == {"centre"}
    response = api.call("POST", "/runs", {**_new_run(course, almaty), "course": 0})
    assert error_fields(response) == {"course"}
    # A trainer must work at the run's centre: Astana's coordinator, the psychologist and a
    # stranger may not teach an Almaty run.
    for trainer in [personas["outsider"], personas["psychologist"], personas["norole"]]:
        response = api.call("POST", "/runs", _new_run(course, almaty, trainer=trainer.pk))
        assert error_fields(response) == {"trainer"}, trainer
    response = api.call("POST", "/runs", _new_run(course, almaty, status="closed"))
    assert error_fields(response) == {"status"}


def test_runs_are_scoped_to_the_users_centres(api, personas, make_run, astana) -> None:
    here = make_run()
    there = make_run(astana)
    assert [r["id"] for r in api.as_(personas["trainer"]).ok("GET", "/runs")["items"]] == [here.pk]
    assert api.call("GET", f"/runs/{there.pk}").status_code == 404
    assert api.call("GET", "/runs/999999").status_code == 404
    assert api.as_(personas["outsider"]).call("GET", f"/runs/{here.pk}").status_code == 404
    assert api.call("PATCH", f"/runs/{here.pk}", {"kids_room": False}).status_code == 404
    assert api.as_(personas["director"]).ok("GET", "/runs")["count"] == 2
    assert api.ok("GET", "/runs", centre=astana.pk)["count"] == 1
    assert api.as_(personas["manager"]).call("PATCH", f"/runs/{here.pk}", {}).status_code == 403


def test_run_list_filters(api, personas, make_run, course) -> None:
    soon = make_run(starts_in=7, days=7)
    later = make_run(starts_in=60, days=7, status="draft")
    api.as_(personas["coordinator"])
    assert [r["id"] for r in api.ok("GET", "/runs")["items"]] == [soon.pk, later.pk]
    assert [r["id"] for r in api.ok("GET", "/runs", status="draft")["items"]] == [later.pk]
    assert [r["id"] for r in api.ok("GET", "/runs", ends_after=_day(30))["items"]] == [later.pk]
    assert [r["id"] for r in api.ok("GET", "/runs", starts_before=_day(30))["items"]] == [soon.pk]
    assert api.ok("GET", "/runs", course=course.pk)["count"] == 2
    assert error_fields(api.call("GET", "/runs", status="open", limit=0)) == {"status", "limit"}


def test_patch_a_run(api, personas, make_run) -> None:
    run = make_run()
    body = api.as_(personas["coordinator"]).ok(
        "PATCH",
        f"/runs/{run.pk}",
        {
            "title": "Кәсіпкерлік: кешкі топ",
            "price": "18000",
            "trainer": personas["trainer"].pk,
            "speaker": None,
            "release_days_before": None,
            "paid_seats": 11,
        },
    )
    assert body["title"] == "Кәсіпкерлік: кешкі топ"
    assert (body["price"], body["trainer"], body["paid_seats"]) == (
        "18000.00",
        personas["trainer"].pk,
        11,
    )
    assert body["release_days_before"] is None
    assert SeatChange.objects.get(run=run).paid_delta == 1
    entry = AuditEntry.objects.filter(object_type="programs.run", action="update").earliest("seq")
    assert {"title", "price", "trainer", "release_days_before"} <= set(entry.fields)
    body = api.ok("PATCH", f"/runs/{run.pk}", {"trainer": None, "title": None})
    assert (body["trainer"], body["title"]) == (None, run.course.title)


def test_patch_refuses_nulls_and_is_all_or_nothing(api, personas, make_run) -> None:
    run = make_run()
    api.as_(personas["coordinator"])
    assert error_fields(api.call("PATCH", f"/runs/{run.pk}", {"kids_room": None})) == {"kids_room"}
    response = api.call("PATCH", f"/runs/{run.pk}", {"title": "Новое название", "ends_on": _day(1)})
    assert error_fields(response) == {"ends_on"}
    run.refresh_from_db()
    assert run.title == ""


def test_moving_dates_must_keep_the_sessions_inside(api, personas, make_run) -> None:
    run = make_run(starts_in=14, days=28)
    start = timezone.make_aware(
        dt.datetime.combine(run.starts_on + dt.timedelta(days=20), dt.time(10))
    )
    Session.objects.create(
        run=run, centre=run.centre, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    api.as_(personas["coordinator"])
    response = api.call("PATCH", f"/runs/{run.pk}", {"ends_on": _day(20)})
    assert error_fields(response) == {"ends_on"}
    response = api.call("PATCH", f"/runs/{run.pk}", {"starts_on": _day(40)})
    assert error_fields(response) == {"starts_on"}
    api.ok("PATCH", f"/runs/{run.pk}", {"starts_on": _day(20), "ends_on": _day(40)})


def test_a_started_run_keeps_its_past_start_date(api, personas, make_run) -> None:
    run = make_run(starts_in=-3, days=20)
    body = api.as_(personas["coordinator"]).ok(
        "PATCH", f"/runs/{run.pk}", {"starts_on": str(run.starts_on), "kids_room": False}
    )
    assert body["kids_room"] is False
    moved = api.call("PATCH", f"/runs/{run.pk}", {"starts_on": _day(-5)})
    assert error_fields(moved) == {"starts_on"}


# --- Query counts -------------------------------------------------------------------------------
@pytest.mark.parametrize("rows", [2, 20])
def test_run_list_query_count_is_constant(
    api, personas, make_run, make_women, django_assert_num_queries, rows
) -> None:
    from mamapro.programs.services import enrollment as seats

    women = make_women(2)
    for i in range(rows):
        run = make_run(starts_in=i + 1, trainer=personas["trainer"])
        seats.enroll(run, women[i % 2], "paid")
    api.as_(personas["coordinator"])
    api.ok("GET", "/courses")  # the token's first use stamps it; not counted below
    # token, memberships, page (course and trainer joined), seat counts, count
    with django_assert_num_queries(5):
        body = api.ok("GET", "/runs")
    assert len(body["items"]) == rows
    assert all(r["paid_confirmed"] == 1 for r in body["items"])


@pytest.mark.parametrize("rows", [2, 20])
def test_course_list_query_count_is_constant(
    api, personas, django_assert_num_queries, rows
) -> None:
    for i in range(rows):
        Course.objects.create(title=f"Курс {i:02d}", category="other")
    api.as_(personas["comms"])
    api.ok("GET", "/runs")
    # token, memberships, page, count
    with django_assert_num_queries(4):
        assert len(api.ok("GET", "/courses")["items"]) == rows
    # with a search: the folded titles, then the page and the count
    with django_assert_num_queries(5):
        assert api.ok("GET", "/courses", search="курс")["count"] == rows


def test_openapi_lists_the_programmes_operations_with_their_enums(client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/courses",
        "/api/v1/runs/{run_id}",
        "/api/v1/runs/{run_id}/sessions/generate",
        "/api/v1/enrollments/{enrollment_id}/withdraw",
        "/api/v1/topics/{topic_id}/vote",
    ]:
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    assert schemas["EnrollmentIn"]["properties"]["seat_type"]["enum"] == ["paid", "free"]
    assert set(schemas["EnrollmentOut"]["properties"]["status"]["enum"]) == {
        "confirmed",
        "waitlisted",
        "offered",
        "withdrawn",
        "completed",
        "dropped",
    }
