"""`mamapro audit verify | head | harden`: check the chain, publish its head, lock it down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from mamapro.core import audit, audit_harden


def _default_heads_file() -> Path:
    return Path(settings.VAR_DIR) / "audit-heads.log"


class Command(BaseCommand):
    help = (
        "Audit log tools. `audit verify` checks the keyed chain from the first entry on (and "
        "against published heads); `audit head` prints the head, `--publish` appends it to a "
        "file outside the database; `audit harden --app-role NAME` (PostgreSQL) leaves the "
        "application's role append-only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify", help="report the first broken entry, or that the chain is intact"
        )
        verify.add_argument(
            "--head",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="a head published earlier; the chain must still pass through it",
        )
        verify.add_argument(
            "--heads-file",
            action="append",
            default=[],
            type=Path,
            metavar="PATH",
            help="a file written by `audit head --publish` (or a copy of it)",
        )
        head = sub.add_parser("head", help="print the chain head: SEQ HASH")
        head.add_argument(
            "--publish",
            action="store_true",
            help="verify the chain, then append its head to the heads file",
        )
        head.add_argument(
            "--file",
            type=Path,
            default=None,
            metavar="PATH",
            help="the heads file (default var/audit-heads.log); keep copies off this machine",
        )
        harden = sub.add_parser(
            "harden", help="PostgreSQL: the app role may only append; run as the owner"
        )
        harden.add_argument("--app-role", required=True, metavar="NAME")
        harden.add_argument(
            "--owner", default=None, metavar="NAME", help="the owner role (default: you)"
        )
        harden.add_argument(
            "--sql", action="store_true", help="print the statements instead of running them"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self._verify(options["head"], options["heads_file"])
        elif action == "head":
            self._head(options["publish"], options["file"] or _default_heads_file())
        else:
            self._harden(options["app_role"], options["owner"], options["sql"])

    def _published(self, heads: list[str], files: list[Path]) -> list[audit.PublishedHead]:
        published: list[audit.PublishedHead] = []
        try:
            for value in heads:
                published += audit.parse_heads(value, source="--head")
            for path in files:
                if not path.exists():
                    raise CommandError(f"--heads-file: {path} does not exist.")
                published += audit.parse_heads(path.read_text(), source=str(path))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return published

    def _verify(self, heads: list[str], files: list[Path]) -> None:
        published = self._published(heads, files)
        result = audit.verify_chain(published)
        if result.ok:
            against = f", {len(published)} published heads matched" if published else ""
            self.stdout.write(f"Audit chain intact: {result.checked} entries verified{against}.")
            note = audit_harden.weakness()
            if note and not (published and "SQLite" in note):
                self.stderr.write(f"Note: {note}")
            return
        raise CommandError(
            f"Audit chain broken at entry #{result.broken_seq}: {result.reason} "
            f"({result.checked} entries before it verified)."
        )

    def _head(self, publish: bool, path: Path) -> None:
        if not publish:
            head = audit.current_head()
            self.stdout.write(f"{head.seq} {head.entry_hash}")
            return
        # Anonymous events counted in finished minutes go into the chain before its head is
        # published, and a broken chain's head is never published (it would vouch for it).
        audit.summarize_anonymous()
        earlier = audit.parse_heads(path.read_text(), source=str(path)) if path.exists() else []
        with transaction.atomic():
            result = audit.verify_chain(earlier)
            head = audit.current_head()
        if not result.ok:
            raise CommandError(
                f"Not published: the audit chain is broken at entry #{result.broken_seq}: "
                f"{result.reason}."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        line = f"{head.seq} {head.entry_hash} {timezone.now().isoformat(timespec='seconds')}\n"
        with os.fdopen(fd, "a") as fh:
            fh.write(line)
        self.stdout.write(f"{head.seq} {head.entry_hash} (appended to {path})")

    def _harden(self, app_role: str, owner: str | None, sql_only: bool) -> None:
        try:
            hardening = audit_harden.plan(app_role, owner=owner)
        except audit_harden.HardenError as exc:
            raise CommandError(str(exc)) from None
        if sql_only:
            for statement in hardening.statements:
                self.stdout.write(statement + ";")
            return
        with transaction.atomic():
            audit_harden.apply(hardening)
        self.stdout.write(
            f"Audit tables now owned by {hardening.owner}; {hardening.app_role} may only read, "
            "append and move the head forward."
        )
