"""The permission table's building blocks; each app lists its own rows in
`<app>/tests/permission_rows.py` as `ROWS`, and core/tests/test_permissions.py checks them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mamapro.conftest import PERSONAS

World = dict[str, Any]


def table(default: int | None = None, **by_persona: int) -> dict[str, int]:
    """Expected status per persona; `default` fills every persona not named."""
    out = {p: default for p in PERSONAS if default is not None}
    out.update(by_persona)
    assert set(out) == set(PERSONAS), f"missing personas: {set(PERSONAS) - set(out)}"
    return out


@dataclass(frozen=True)
class WebRow:
    method: str
    expected: dict[str, int]
    # URL kwargs from the world's objects (none for a URL without arguments).
    kwargs: Callable[[World], dict[str, Any]] | None = None
    data: Callable[[World], dict[str, Any]] | None = None
    public: bool = False
    # A provider's webhook: what a caller without a session gets. Its signature, not a
    # session, is the credential, so it is CSRF-exempt and answers everyone alike.
    anonymous: int | None = None


@dataclass(frozen=True)
class ApiRow:
    expected: dict[str, int]
    body: Callable[[World], dict[str, Any]] | None = None


@dataclass
class Rows:
    web: dict[str, WebRow] = field(default_factory=dict)
    api: dict[tuple[str, str], ApiRow] = field(default_factory=dict)
    # Fills the world with this app's objects (after core's: personas, survivor, child…).
    build: Callable[[World], None] | None = None
    # Values for {placeholders} in API paths.
    path_ids: Callable[[World], dict[str, Any]] | None = None


ALL_OK = table(200)
CARE_TEAM_ONLY = dict(director=200, coordinator=200, outsider=404)
CREATE = dict(director=201, coordinator=201)


def merge(*parts: Rows) -> Rows:
    """One app's rows from several modules (each sub-domain keeps its own)."""
    merged = Rows()
    builds = [p.build for p in parts if p.build is not None]
    ids = [p.path_ids for p in parts if p.path_ids is not None]
    for part in parts:
        clash = (set(merged.web) & set(part.web)) | (set(merged.api) & set(part.api))
        assert not clash, f"rows listed twice: {clash}"
        merged.web.update(part.web)
        merged.api.update(part.api)

    def build(world: World) -> None:
        for step in builds:
            step(world)

    def path_ids(world: World) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for step in ids:
            out.update(step(world))
        return out

    merged.build = build
    merged.path_ids = path_ids
    return merged
