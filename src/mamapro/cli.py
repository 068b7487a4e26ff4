"""The `mamapro` command: Django's manage plus the project's own commands."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mamapro.settings")
    from mamapro.core.catalogues import compile_stale

    compile_stale()
    if sys.argv[1:2] == ["test"]:
        from mamapro.testing import run

        sys.exit(run(sys.argv[2:]))
    from django.core.management import execute_from_command_line

    # Commands read better with a hyphen; Django's are module names.
    args = sys.argv[1:]
    if args[:1] == ["rotate-key"]:
        args[0] = "rotate_key"
    execute_from_command_line(["mamapro", *args])


if __name__ == "__main__":
    main()
