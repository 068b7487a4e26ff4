"""Demo courses, runs, sessions and enrollments for both centres.

Runs are found again by (centre, course), so a second `mamapro demo` changes nothing; their
dates are set relative to the day the demo data was first loaded.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from mamapro.centres.models import Centre, Room
from mamapro.core.models import User
from mamapro.core.permissions import Role
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Shift
from mamapro.people.models import Child, Participant
from mamapro.programs.models import Course, Enrollment, Run, Session
from mamapro.programs.services import enrollment as seats
from mamapro.programs.services import runs as run_services

COURSES = [
    ("Кәсіпкерлік негіздері / Основы предпринимательства", "entrepreneurship", "kk_ru", False),
    ("Компьютерная грамотность", "computer_literacy", "ru", False),
    ("Копирайтинг для начинающих", "copywriting", "ru", False),
    ("Өзін-өзі дамыту және сенімділік", "self_development", "kk", False),
    ("Ерекше баланың анасына: күнделікті дағдылар", "parenting", "kk_ru", False),
    ("Апталық шеберхана / Еженедельный мастер-класс", "other", "kk_ru", True),
]


HALF_HOUR = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class DemoRun:
    centre: str
    course: int  # index into COURSES
    starts_in: int  # days from today (negative: already running)
    weeks: int
    weekdays: tuple[int, ...]  # 0 = Monday
    start: dt.time
    end: dt.time
    paid: int
    free: int
    price: str
    paid_women: int  # how many women ask for a paid seat
    free_women: int  # how many eligible women ask for a free seat
    speaker: str = ""
    sponsor: str = ""
    kids_room: bool = False


DEMO_RUNS = [
    DemoRun(
        "Almaty",
        0,
        -14,
        8,
        (1, 3),
        dt.time(10),
        dt.time(13),
        10,
        10,
        "25000.00",
        13,
        14,
        sponsor="U.S. Embassy small grant",
        kids_room=True,
    ),
    DemoRun(
        "Almaty",
        1,
        10,
        6,
        (0, 2),
        dt.time(14),
        dt.time(16),
        10,
        10,
        "15000.00",
        6,
        9,
        kids_room=True,
    ),
    DemoRun("Almaty", 2, 5, 4, (4,), dt.time(10), dt.time(13), 10, 10, "20000.00", 3, 12),
    DemoRun(
        "Almaty",
        5,
        4,
        0,
        (5,),
        dt.time(11),
        dt.time(13),
        30,
        0,
        "0.00",
        18,
        0,
        speaker="Айгерім Нұрланова, HR-маман: «Как пройти собеседование»",
    ),
    DemoRun("Astana", 3, -7, 6, (1, 4), dt.time(15), dt.time(17), 10, 10, "18000.00", 8, 11),
    DemoRun("Astana", 4, 12, 4, (2,), dt.time(11), dt.time(13), 8, 12, "12000.00", 4, 10),
]


def load(centres: dict[str, Centre], rng: random.Random, today: dt.date | None = None) -> int:
    """Create the demo runs that are missing; return how many."""
    courses = []
    for title, category, language, workshop in COURSES:
        course, _ = Course.objects.get_or_create(
            title=title,
            defaults={"category": category, "language": language, "is_workshop": workshop},
        )
        courses.append(course)
    trainer = User.objects.filter(username="trainer").first()
    today = today or timezone.localdate()
    created = 0
    for spec in DEMO_RUNS:
        centre = centres[spec.centre]
        course = courses[spec.course]
        if Run.objects.filter(centre=centre, course=course).exists():
            continue
        starts = today + dt.timedelta(days=spec.starts_in)
        if not spec.weeks:
            # A one-day workshop falls on its own weekday, whatever day the demo is loaded,
            # so it never meets a course's session in the same room.
            starts += dt.timedelta(days=(spec.weekdays[0] - starts.weekday()) % 7)
        ends = starts + dt.timedelta(weeks=spec.weeks) if spec.weeks else starts
        run = Run.objects.create(
            course=course,
            centre=centre,
            starts_on=starts,
            ends_on=ends,
            trainer=trainer if spec.centre == "Almaty" and not course.is_workshop else None,
            speaker=spec.speaker,
            price=spec.price,
            paid_seats=spec.paid,
            free_seats=spec.free,
            sponsor=spec.sponsor,
            release_days_before=None if course.is_workshop else 7,
            kids_room=spec.kids_room,
        )
        room = Room.objects.filter(centre=centre, kind=Room.Kind.CLASSROOM).order_by("id").first()
        weekdays = list(spec.weekdays)
        run_services.generate_weekly_sessions(run, weekdays, spec.start, spec.end, room=room)
        if spec.kids_room:
            _tutors_on_duty(run)
        _enroll(run, spec, rng, today)
        created += 1
    return created


def _tutors_on_duty(run: Run) -> None:
    """The centre's tutors cover each of the run's sessions, from half an hour before."""
    room = kids.kids_room_for(run.centre_id)
    tutors = list(
        User.objects.filter(memberships__centre=run.centre, memberships__role=Role.TUTOR).order_by(
            "username"
        )
    )
    if room is None or not tutors:
        return
    for session in Session.objects.filter(run=run, ends_at__gt=timezone.now()):
        for tutor in tutors:
            covered = Shift.objects.filter(
                room=room,
                tutor=tutor,
                starts_at__lte=session.starts_at - HALF_HOUR,
                ends_at__gte=session.ends_at + HALF_HOUR,
            ).exists()
            if not covered:
                kids.add_shift(
                    room, tutor, session.starts_at - HALF_HOUR, session.ends_at + HALF_HOUR
                )


def _enroll(run: Run, spec: DemoRun, rng: random.Random, today: dt.date) -> None:
    # Enrollment is for runs that have not ended; a run that began is enrolled as if before.
    women = list(Participant.objects.filter(centre=run.centre).order_by("id"))
    rng.shuffle(women)
    eligible = [w for w in women if w.eligibility_verified]
    others = [w for w in women if not w.eligibility_verified]
    moment = timezone.now() - dt.timedelta(days=max(0, -spec.starts_in) + 7)
    for i, woman in enumerate(eligible[: spec.free_women]):
        seats.enroll(
            run,
            woman,
            "free",
            now=moment + dt.timedelta(minutes=i),
            source=_source(rng),
            kids_room_children=_little_ones(run, woman, rng, today),
        )
    for i, woman in enumerate(others[: spec.paid_women]):
        seats.enroll(
            run,
            woman,
            "paid",
            now=moment + dt.timedelta(minutes=30 + i),
            source=_source(rng),
            kids_room_children=_little_ones(run, woman, rng, today),
        )
    # Some fees are paid already.
    for enrollment in Enrollment.objects.filter(run=run, fee__isnull=False).select_related("fee"):
        if rng.random() < 0.6:
            seats.set_fee_status(enrollment.fee, "paid")


def _little_ones(run: Run, woman: Participant, rng: random.Random, today: dt.date) -> list[Child]:
    """About half the mothers of children under eight ask for the kids' room."""
    if not run.kids_room or rng.random() < 0.5:
        return []
    return [c for c in woman.children.all() if (today - c.birth_date).days < 8 * 365]


def _source(rng: random.Random) -> str:
    return rng.choice([Enrollment.Source.STAFF, Enrollment.Source.PUBLIC, Enrollment.Source.PUBLIC])
