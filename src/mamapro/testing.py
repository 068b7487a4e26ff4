"""`mamapro test`: lint, type-check, then the whole pytest suite.

Runs on SQLite by default, on PostgreSQL when DATABASE_URL points at one. Arguments after
`test` go to pytest (and skip the lint and type steps, for a quick focused run).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def _step(title: str, argv: list[str], env: dict[str, str]) -> int:
    print(f"\n=== {title}: {' '.join(argv)}", flush=True)
    return subprocess.call(argv, cwd=REPO, env=env)  # noqa: S603 (our own tools, fixed argv)


def run(args: list[str]) -> int:
    env = dict(os.environ)
    env["MAMAPRO_TESTING"] = "1"
    env.setdefault("DJANGO_SETTINGS_MODULE", "mamapro.settings")
    # Tests make their own database; a throwaway key keeps them independent of var/.
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env.setdefault("AUDIT_KEY", secrets.token_urlsafe(50))
    python = sys.executable
    database = env.get("DATABASE_URL", "").split("://", 1)[0] or "sqlite (default)"
    print(f"mamapro test: database {database}", flush=True)
    if not args:
        for title, argv in (
            ("ruff check", [python, "-m", "ruff", "check", "src", "bench", "scripts"]),
            ("ruff format", [python, "-m", "ruff", "format", "--check", "src", "bench", "scripts"]),
            ("mypy", [python, "-m", "mypy"]),
        ):
            if _step(title, argv, env) != 0:
                print(f"\nmamapro test: {title} failed.", flush=True)
                return 1
    # The whole suite runs on every core (each worker gets its own test database).
    parallel = [] if args else ["-n", "auto"]
    return _step("pytest", [python, "-m", "pytest", *parallel, *args], env)
