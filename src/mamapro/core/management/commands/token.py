from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mamapro.core import audit
from mamapro.core.models import ApiToken, AuditEntry, User


class Command(BaseCommand):
    help = "Create an API token for a user; the token is printed alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a new token")
        create.add_argument("username")
        create.add_argument("--label", default="", help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user named {username!r}.") from None
        with audit.acting_as(None, via="cli"):
            token, raw = ApiToken.issue(user, label=options["label"])
            audit.record(
                AuditEntry.Action.TOKEN,
                token,
                details={"user": user.username, "prefix": token.prefix},
            )
        self.stdout.write(f"Token for {user.username} (shown once; keep it secret):")
        self.stdout.write(raw)
