from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mamapro.core.audit import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` checks the hash chain from the first entry on."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="report the first broken entry, or that the chain is intact")

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if result.ok:
            self.stdout.write(f"Audit chain intact: {result.checked} entries verified.")
            return
        raise CommandError(
            f"Audit chain broken at entry #{result.broken_seq}: {result.reason} "
            f"({result.checked} entries before it verified)."
        )
