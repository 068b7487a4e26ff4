"""Roll call, the run's register, the follow-up list, certificates and the public check."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from mamapro.centres.context import SESSION_KEY
from mamapro.core.models import AuditEntry
from mamapro.programs.models import Attendance, Enrollment, FollowUpTask, Run
from mamapro.programs.services import attendance
from mamapro.programs.tests.attendance_world import add_sessions, enroll_before_start, mark

pytestmark = pytest.mark.django_db


@pytest.fixture
def taught(make_run, personas):
    """A run the trainer persona teaches, begun ten days ago."""
    return make_run(starts_in=-10, days=30, trainer=personas["trainer"], paid_seats=25)


def _checked(html: str) -> dict[str, str]:
    """Radio name → checked value, from the page."""
    return dict(re.findall(r'name="(mark-\d+)" value="(\w+)" checked', html))


# --- Roll call ----------------------------------------------------------------------------------
def test_roll_call_lists_everyone_on_the_roll_by_name_only(
    client, personas, taught, make_women, survivor
) -> None:
    _s1, s2 = add_sessions(taught, [-9, -2])
    women = make_women(3)
    enroll_before_start(taught, women)
    waiting = make_women(1)[0]
    Enrollment.objects.create(
        run=taught, centre=taught.centre, participant=waiting, seat_type="paid", status="waitlisted"
    )
    mark(s2, {women[0]: "late"})
    client.force_login(personas["trainer"])
    response = client.get(reverse("programs:roll_call", args=[s2.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for woman in women:
        assert woman.full_name in html
        assert woman.phone not in html
    assert waiting.full_name not in html, "only women holding a seat are on the roll"
    assert html.count('type="radio"') == 4 * 3
    assert _checked(html) == {f"mark-{women[0].pk}": "late"}
    assert html.count('type="submit"') >= 1
    assert "mamapro/attendance.css" in html


def test_one_submit_saves_every_mark_and_is_audited(client, personas, taught, make_women) -> None:
    (s1,) = add_sessions(taught, [-1])
    women = make_women(4)
    enroll_before_start(taught, women)
    client.force_login(personas["trainer"])
    url = reverse("programs:roll_call", args=[s1.pk])
    data = {
        f"mark-{w.pk}": status
        for w, status in zip(women, ["present", "late", "excused"], strict=False)
    }
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(url, 302)]
    text = response.content.decode()
    assert "Roll call saved." in text
    assert "1 woman is not marked yet." in text
    assert Attendance.objects.count() == 3
    assert set(Attendance.objects.values_list("recorded_by", flat=True)) == {personas["trainer"].pk}
    assert AuditEntry.objects.filter(object_type="programs.attendance").count() == 3
    # The page comes back with her marks in place.
    assert _checked(text) == {
        f"mark-{w.pk}": s for w, s in zip(women, ["present", "late", "excused"], strict=False)
    }
    assert "Last change:" in text


def test_no_show_message_names_her_and_her_seat_goes_on(
    client, personas, make_run, make_women
) -> None:
    run = make_run(starts_in=-10, days=30, paid_seats=1, free_seats=0, trainer=personas["trainer"])
    (s1,) = add_sessions(run, [-9])
    absent, waiting = make_women(2)
    _ea, ew = enroll_before_start(run, [absent, waiting])
    client.force_login(personas["trainer"])
    url = reverse("programs:roll_call", args=[s1.pk])
    page = client.get(url).content.decode()
    assert "First session" in page
    response = client.post(url, {f"mark-{absent.pk}": "absent"}, follow=True)
    assert f"{absent.full_name} did not come to her first session" in response.content.decode()
    ew.refresh_from_db()
    assert ew.status == "offered"


def test_a_tampered_mark_writes_nothing_and_says_whose(
    client, personas, taught, make_women
) -> None:
    (s1,) = add_sessions(taught, [-1])
    a, b = make_women(2)
    enroll_before_start(taught, [a, b])
    client.force_login(personas["trainer"])
    response = client.post(
        reverse("programs:roll_call", args=[s1.pk]),
        {f"mark-{a.pk}": "present", f"mark-{b.pk}": "asleep"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert b.full_name + ": Choose present, late, excused or absent." in html
    assert not Attendance.objects.exists()


def test_cancelled_session_shows_why_and_saves_nothing(
    client, personas, taught, make_women
) -> None:
    (s1,) = add_sessions(taught, [-1])
    (a,) = make_women(1)
    enroll_before_start(taught, [a])
    s1.cancelled = True
    s1.save()
    client.force_login(personas["coordinator"])
    url = reverse("programs:roll_call", args=[s1.pk])
    page = client.get(url).content.decode()
    assert "This session was cancelled" in page
    assert "disabled" in page
    response = client.post(url, {f"mark-{a.pk}": "present"}, follow=True)
    assert "there is no roll call to take" in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_future_session_offers_only_the_excuse(client, personas, taught, make_women) -> None:
    (later,) = add_sessions(taught, [3])
    (a,) = make_women(1)
    enroll_before_start(taught, [a])
    client.force_login(personas["trainer"])
    html = client.get(reverse("programs:roll_call", args=[later.pk])).content.decode()
    assert "has not started yet" in html
    enabled = re.findall(r'name="mark-\d+" value="(\w+)"(?! disabled)>', html)
    assert enabled == ["excused"]


def test_another_runs_trainer_gets_403_and_another_centre_404(
    client, personas, make_run, make_user, almaty, astana
) -> None:
    other_trainer = make_user("trainer2", "trainer", almaty)
    run = make_run(starts_in=-10, days=30, trainer=personas["trainer"])
    (s1,) = add_sessions(run, [-1])
    client.force_login(other_trainer)
    assert client.get(reverse("programs:roll_call", args=[s1.pk])).status_code == 403
    assert client.get(reverse("programs:run_attendance", args=[run.pk])).status_code == 403
    client.force_login(personas["outsider"])
    assert client.get(reverse("programs:roll_call", args=[s1.pk])).status_code == 404


@pytest.mark.parametrize("women", [3, 20])
def test_roll_call_query_count_is_constant(
    client, personas, taught, make_women, django_assert_num_queries, women
) -> None:
    (s1,) = add_sessions(taught, [-1])
    people = make_women(women)
    enroll_before_start(taught, people)
    mark(s1, dict.fromkeys(people, "present"))
    client.force_login(personas["trainer"])
    # session, user, memberships, the session (+run, course, room), roll, marks, sessions
    # held, last change, centre switcher
    with django_assert_num_queries(9):
        assert client.get(reverse("programs:roll_call", args=[s1.pk])).status_code == 200


# --- The trainer's list of sessions -------------------------------------------------------------
def test_the_trainer_sees_her_own_sessions_only(
    client, personas, taught, make_run, make_women, django_assert_num_queries
) -> None:
    today, yesterday = add_sessions(taught, [0, -1])
    someone_elses = make_run(starts_in=-10, days=30, title="Копирайтинг")
    add_sessions(someone_elses, [0])
    women = make_women(2)
    enroll_before_start(taught, women)
    mark(yesterday, {women[0]: "present"})
    client.force_login(personas["trainer"])
    with django_assert_num_queries(5):
        response = client.get(reverse("programs:roll_call_list"))
    html = response.content.decode()
    assert html.count(reverse("programs:roll_call", args=[today.pk])) == 1
    assert reverse("programs:roll_call", args=[yesterday.pk]) in html
    assert "Копирайтинг" not in html
    assert "1 of 2 marked" in html
    client.force_login(personas["coordinator"])
    assert "Копирайтинг" in client.get(reverse("programs:roll_call_list")).content.decode()


# --- The run's register and closing it ----------------------------------------------------------
@pytest.mark.parametrize("women", [2, 12])
def test_register_shows_each_share_with_constant_queries(
    client, personas, make_run, make_women, django_assert_num_queries, women
) -> None:
    run = make_run(starts_in=-30, days=25, trainer=personas["trainer"], paid_seats=12)
    sessions = add_sessions(run, [-29, -22, -15, -8])
    people = make_women(women)
    enroll_before_start(run, people)
    for i, session in enumerate(sessions):
        mark(session, {p: "present" if i < 3 else "absent" for p in people})
    client.force_login(personas["coordinator"])
    url = reverse("programs:run_attendance", args=[run.pk])
    # session, user, memberships, run, sessions, women (+certificates), marks, centre switcher
    with django_assert_num_queries(8):
        html = client.get(url).content.decode()
    assert html.count(">75</td>") == women
    assert "Close the run and issue certificates" in html

    response = client.post(reverse("programs:run_complete", args=[run.pk]), follow=True)
    html = response.content.decode()
    assert f"{women} completed it, 0 did not" in html
    assert html.count("Certificate (PDF)") == women
    run.refresh_from_db()
    assert run.status == Run.Status.CLOSED
    assert "Close the run and issue certificates" not in html


def test_the_trainer_may_not_close_a_run_and_an_unfinished_run_stays_open(
    client, personas, taught
) -> None:
    add_sessions(taught, [-1])
    client.force_login(personas["trainer"])
    url = reverse("programs:run_complete", args=[taught.pk])
    assert client.post(url).status_code == 403
    client.force_login(personas["coordinator"])
    response = client.post(url, follow=True)
    assert "has not ended yet" in response.content.decode()
    taught.refresh_from_db()
    assert taught.status == Run.Status.PUBLISHED


# --- Follow-ups ---------------------------------------------------------------------------------
def _task(run, participant, reason="two_absences") -> FollowUpTask:
    enrollment = Enrollment.objects.create(
        run=run,
        centre=run.centre,
        participant=participant,
        seat_type="free",
        status="confirmed",
    )
    return FollowUpTask.objects.create(centre=run.centre, enrollment=enrollment, reason=reason)


@pytest.mark.parametrize("tasks", [2, 15])
def test_follow_ups_are_scoped_to_her_centres_with_constant_queries(
    client, personas, make_run, make_women, astana, django_assert_num_queries, tasks
) -> None:
    run = make_run(starts_in=-10, days=30)
    there = make_run(astana, starts_in=-10, days=30)
    for woman in make_women(tasks):
        _task(run, woman)
    far = _task(there, make_women(1, centre=astana)[0], reason="no_show")
    client.force_login(personas["coordinator"])
    with django_assert_num_queries(6):
        html = client.get(reverse("programs:follow_up_list")).content.decode()
    assert html.count('action="/follow-ups/') == tasks
    assert far.enrollment.participant.full_name not in html
    assert "+7" not in html, "no phones here: her page has the safe-contact rules"
    client.force_login(personas["outsider"])
    html = client.get(reverse("programs:follow_up_list")).content.decode()
    assert html.count('action="/follow-ups/') == 1


def test_the_centre_switcher_narrows_the_directors_list(
    client, personas, make_run, make_women, almaty, astana
) -> None:
    _task(make_run(starts_in=-10, days=30), make_women(1)[0])
    _task(make_run(astana, starts_in=-10, days=30), make_women(1, centre=astana)[0])
    client.force_login(personas["director"])
    assert (
        client.get(reverse("programs:follow_up_list"))
        .content.decode()
        .count('action="/follow-ups/')
        == 2
    )
    session = client.session
    session[SESSION_KEY] = astana.pk
    session.save()
    html = client.get(reverse("programs:follow_up_list")).content.decode()
    assert html.count('action="/follow-ups/') == 1


def test_marking_a_follow_up_done(client, personas, make_run, make_women) -> None:
    task = _task(make_run(starts_in=-10, days=30), make_women(1)[0])
    client.force_login(personas["coordinator"])
    url = reverse("programs:follow_up_done", args=[task.pk])
    response = client.post(url, {"note": "Her son was ill; back on Monday."}, follow=True)
    assert "Done:" in response.content.decode()
    task.refresh_from_db()
    assert task.done_by == personas["coordinator"]
    assert task.note == "Her son was ill; back on Monday."
    response = client.post(url, follow=True)
    assert "already done" in response.content.decode()
    done = client.get(reverse("programs:follow_up_list") + "?show=done").content.decode()
    assert "Her son was ill" in done
    assert client.get(url).status_code == 405


# --- Certificates -------------------------------------------------------------------------------
@pytest.fixture
def certificate(make_run, make_women):
    run = make_run(starts_in=-30, days=23)
    (session,) = add_sessions(run, [-25])
    (woman,) = make_women(1)
    enroll_before_start(run, [woman])
    mark(session, {woman: "present"})
    return attendance.complete_run(run).certificates[0]


def test_certificate_download_is_a_pdf(client, personas, certificate) -> None:
    client.force_login(personas["coordinator"])
    response = client.get(reverse("programs:certificate_pdf", args=[certificate.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    code = attendance.format_code(certificate.code)
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{code}.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_public_check_shows_name_course_and_date_only(client, certificate) -> None:
    participant = certificate.enrollment.participant
    run = certificate.enrollment.run
    # Typed from paper: lower case, with the dash.
    typed = attendance.format_code(certificate.code).lower()
    response = client.get(reverse("programs:certificate_verify"), {"code": typed})
    url = reverse("programs:certificate_check", args=[certificate.code])
    assert response.status_code == 302
    assert response["Location"] == url
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert participant.full_name in html
    assert run.course.title in html
    # What the page says about her (the header's language switcher names every language).
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    for secret in (
        participant.phone,
        run.centre.name,
        "Серікова",
        participant.get_language_display(),
    ):
        assert secret not in main.replace(participant.full_name, ""), secret


def test_an_unknown_code_is_simply_not_found(client, certificate) -> None:
    wrong = "A" * attendance.CODE_LENGTH
    assert client.get(reverse("programs:certificate_check", args=[wrong])).status_code == 404
    assert client.get(reverse("programs:certificate_check", args=["x"])).status_code == 404
    response = client.get(reverse("programs:certificate_verify"), {"code": wrong})
    assert response.status_code == 404
    assert "No certificate has this code" in response.content.decode()
    near = certificate.code[:-1] + ("B" if certificate.code[-1] != "B" else "C")
    near_miss = client.get(reverse("programs:certificate_verify"), {"code": near})
    assert _without_tokens(near_miss.content.decode()) == _without_tokens(
        response.content.decode().replace(wrong, near)
    ), "a near miss looks exactly like any other miss"


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
