"""Sections that apps above `people` add to a woman's page, without `people` importing them.

An app registers a function in its AppConfig.ready; the participant page calls each with the
request and the woman and shows what it returns (None: nothing for this user). Each panel
decides its own permissions, audit and queries (a fixed number per page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from mamapro.people.models import Participant


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelSource = Callable[[HttpRequest, Participant], Panel | None]
_SOURCES: list[PanelSource] = []


def register(source: PanelSource) -> PanelSource:
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def panels_for(request: HttpRequest, participant: Participant) -> list[Panel]:
    return [p for p in (source(request, participant) for source in _SOURCES) if p is not None]
