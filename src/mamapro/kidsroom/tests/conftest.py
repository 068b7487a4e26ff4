"""A kids' room world: a room at the Almaty centre, a run that offers it, sessions at fixed
hours, mothers with confirmed seats and their children, tutors on shift."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from mamapro.centres.models import Centre, Room
from mamapro.conftest import build_user
from mamapro.core.models import User
from mamapro.core.permissions import Role
from mamapro.kidsroom import services as kids
from mamapro.people import services as people
from mamapro.people.models import Child, Participant
from mamapro.programs.models import Run, Session
from mamapro.programs.services import enrollment as seats

DAY = timezone.localdate() + dt.timedelta(days=3)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def kids_room(almaty: Centre) -> Room:
    return Room.objects.create(
        centre=almaty, name="Балалар бөлмесі", kind=Room.Kind.KIDS_ROOM, capacity=6
    )


@pytest.fixture
def kids_run(make_run: Callable[..., Run]) -> Run:
    return make_run(starts_in=0, days=14, kids_room=True, price="0.00")


@pytest.fixture
def make_session(kids_run: Run) -> Callable[..., Session]:
    def make(start: dt.datetime, end: dt.datetime, run: Run | None = None) -> Session:
        run = run or kids_run
        return Session.objects.create(
            run=run, centre_id=run.centre_id, starts_at=start, ends_at=end
        )

    return make


@pytest.fixture
def session(make_session: Callable[..., Session]) -> Session:
    return make_session(at(14), at(16))


@pytest.fixture
def make_tutor(almaty: Centre) -> Callable[[], User]:
    counter = iter(range(1000))

    def make() -> User:
        return build_user(f"tutor-{next(counter)}", Role.TUTOR, almaty)

    return make


@pytest.fixture
def on_shift(
    kids_room: Room, make_tutor: Callable[[], User], personas: dict[str, User]
) -> Callable[..., list[Any]]:
    """`n` tutors on duty from `start` to `end` (the whole day unless told). The first one
    put on duty is the tutor persona, so her work reaches the children booked in the room."""
    persona = [personas["tutor"]]

    def put(
        n: int = 1, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> list[Any]:
        tutors = [persona.pop() if persona else make_tutor() for _ in range(n)]
        return [kids.add_shift(kids_room, t, start or at(8), end or at(20)) for t in tutors]

    return put


@pytest.fixture
def make_mother(
    make_participant: Callable[..., Participant], kids_run: Run
) -> Callable[..., Child]:
    """A mother with a confirmed seat on `run` and one child of `level`; returns the child."""
    counter = iter(range(1000))

    def make(level: str = "standard", run: Run | None = None, enrolled: bool = True) -> Child:
        i = next(counter)
        mother = make_participant(
            None, given_name="Жанар", family_name=f"Ана{i:03d}", phone=f"+7707{i:07d}"
        )
        child = people.add_child(
            mother,
            data={
                "given_name": f"Бала{i:03d}",
                "birth_date": dt.date(2020, 1, 1),
                "support_level": level,
            },
        )
        people.add_adult(
            child, data={"name": f"Жанар Ана{i:03d}", "relation": "mother", "authorised": True}
        )
        if enrolled:
            seats.enroll(run or kids_run, mother, "paid")
        return child

    return make
