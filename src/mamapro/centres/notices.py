"""Notices that apps above `centres` put on the staff home page (a safety alert waiting),
without `centres` importing them. Each source decides who sees it; None means nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class Notice:
    text: str
    url: str
    urgent: bool = False


NoticeSource = Callable[[HttpRequest], Notice | None]
_SOURCES: list[NoticeSource] = []


def register(source: NoticeSource) -> NoticeSource:
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def notices_for(request: HttpRequest) -> list[Notice]:
    return [n for n in (source(request) for source in _SOURCES) if n is not None]
