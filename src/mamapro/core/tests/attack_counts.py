"""What the attack suite searched in a run, for the integrator to quote: responses per kind,
personas, markers, and their product. Written to test-artifacts/attack-counts.json (ignored by
git), one section per attack module, merged with what the others wrote."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from django.conf import settings

from mamapro.conftest import PERSONAS

COUNTS: Counter[str] = Counter()


def artifact() -> Path:
    return Path(settings.REPO_DIR) / "test-artifacts" / "attack-counts.json"


def write(module: str) -> None:
    from mamapro.core.tests.test_permissions import MARKERS

    path = artifact()
    path.parent.mkdir(exist_ok=True)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    mine = {kind.split(":", 1)[1]: n for kind, n in COUNTS.items() if kind.startswith(f"{module}:")}
    labels = mine.pop("select options", 0)
    data[module] = {
        "personas": len(PERSONAS) + 1,  # and the anonymous visitor
        "markers": len(MARKERS),
        "responses": mine,
        "responses_total": sum(mine.values()),
        "select_option_labels": labels,
        "marker_checks": (sum(mine.values()) + labels) * len(MARKERS),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
