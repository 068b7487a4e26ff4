"""`./mamapro telegram_webhook`: register our webhook with the Telegram bot (once per
deployment, and after the address or the secret changes)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mamapro.notify.channels.base import ChannelError, NotConfigured
from mamapro.notify.channels.telegram import TelegramBot


class Command(BaseCommand):
    help = (
        "Register {SITE_URL}/hooks/telegram (or --url) as the Telegram bot's webhook, with "
        "TELEGRAM_WEBHOOK_SECRET as its secret token."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="", help="the public HTTPS address of /hooks/telegram")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or (settings.SITE_URL and f"{settings.SITE_URL}/hooks/telegram")
        if not url:
            raise CommandError("Set SITE_URL or give --url https://…/hooks/telegram.")
        if not url.startswith("https://"):
            raise CommandError("Telegram posts only to an HTTPS address.")
        try:
            TelegramBot().set_webhook(url)
        except NotConfigured as exc:
            raise CommandError(f"Telegram is not set up: {exc} must be set.") from None
        except ChannelError as exc:
            raise CommandError(f"Telegram refused the webhook: {exc}") from None
        self.stdout.write(f"Telegram will post updates to {url}")
