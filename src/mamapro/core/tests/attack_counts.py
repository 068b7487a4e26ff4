"""What the attack suite searched in a run, for the integrator to quote: responses per kind,
personas, markers, and their product. Written to test-artifacts/attack-counts.json (ignored by
git), one section per attack module, merged with what the others wrote."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from django.conf import settings

from mamapro.conftest import PERSONAS
from mamapro.core.tests.test_permissions import MARKERS

COUNTS: Counter[str] = Counter()


def artifact() -> Path:
    return Path(settings.REPO_DIR) / "test-artifacts" / "attack-counts.json"


def write(module: str) -> None:
    path = artifact()
    path.parent.mkdir(exist_ok=True)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    responses = {kind: n for kind, n in COUNTS.items() if kind.startswith(f"{module}:")}
    data[module] = {
        "personas": len(PERSONAS) + 1,  # and the anonymous visitor
        "markers": len(MARKERS),
        "responses": responses,
        "responses_total": sum(responses.values()),
        "marker_checks": sum(responses.values()) * len(MARKERS),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
