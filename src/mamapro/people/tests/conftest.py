"""Fixtures for the people tests: a reach rule registered for one test only."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.db.models import Q

from mamapro.people import reach


@pytest.fixture
def reaches(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """`reaches("trainer", participants=[...], children=[...])`: that role's work reaches
    these (besides whatever the apps above register), until the test ends. The people tests
    do not depend on the programs, kids' room or counselling rules."""
    monkeypatch.setattr(
        reach, "_PARTICIPANT_RULES", {k: list(v) for k, v in reach._PARTICIPANT_RULES.items()}
    )
    monkeypatch.setattr(reach, "_CHILD_RULES", {k: list(v) for k, v in reach._CHILD_RULES.items()})

    def give(role: str, participants: Iterable[Any] = (), children: Iterable[Any] = ()) -> None:
        women = [p.pk for p in participants]
        kids = [c.pk for c in children]
        reach.register_participants(role, lambda user: Q(pk__in=women))
        reach.register_children(role, lambda user: Q(pk__in=kids))

    return give


@pytest.fixture
def in_their_work(reaches: Callable[..., None], survivor: Any, child: Any) -> None:
    """The survivor is in the trainer's run, her son in the tutor's room, she a client of the
    psychologist (as the permission table's world arranges through the apps above)."""
    for role in ("trainer", "tutor", "psychologist"):
        reaches(role, participants=[survivor], children=[child])
