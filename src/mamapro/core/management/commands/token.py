from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mamapro.core import audit
from mamapro.core.models import TOKEN_DAYS, ApiToken, AuditEntry, User

MAX_DAYS = 366


class Command(BaseCommand):
    help = "Create an API token for a user (printed alone on the last line), or revoke tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a new token")
        create.add_argument("username")
        create.add_argument("--label", default="", help="what the token is for")
        create.add_argument(
            "--days",
            type=int,
            default=TOKEN_DAYS,
            help=f"how many days it works (default {TOKEN_DAYS}, at most {MAX_DAYS})",
        )
        revoke = sub.add_parser("revoke", help="revoke a user's tokens (all, or one by prefix)")
        revoke.add_argument("username")
        revoke.add_argument("--prefix", default="", help="only the token starting with this")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "revoke":
            self._revoke(options["username"], options["prefix"])
            return
        username = options["username"]
        days = options["days"]
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}, not {days}.")
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user named {username!r}.") from None
        with audit.acting_as(None, via="cli"):
            token, raw = ApiToken.issue(user, label=options["label"], days=days)
            audit.record(
                AuditEntry.Action.TOKEN,
                token,
                details={
                    "user": user.username,
                    "prefix": token.prefix,
                    "expires": token.expires_at.isoformat(),
                },
            )
        expires = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(
            f"Token for {user.username}, valid until {expires} (shown once; keep it secret):"
        )
        self.stdout.write(raw)

    def _revoke(self, username: str, prefix: str) -> None:
        tokens = ApiToken.objects.filter(user__username=username, revoked_at__isnull=True)
        if prefix:
            tokens = tokens.filter(prefix=prefix)
        found = list(tokens)
        if not found:
            raise CommandError(
                f"No active token for {username!r}"
                + (f" with prefix {prefix!r}." if prefix else ".")
            )
        with audit.acting_as(None, via="cli"):
            for token in found:
                token.revoke()
                audit.record(
                    AuditEntry.Action.TOKEN,
                    token,
                    details={"user": username, "prefix": token.prefix, "event": "revoked"},
                )
        self.stdout.write(f"Revoked {len(found)} token(s) of {username}.")
