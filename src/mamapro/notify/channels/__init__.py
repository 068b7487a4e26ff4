"""The channel adapters, one per provider, behind `channels.base.Adapter`.

`adapter(channel)` gives the configured adapter for "sms", "whatsapp", "telegram" or "email",
built from settings each call (tests override settings to point at a local server).
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from mamapro.notify.channels.base import Adapter

ADAPTERS = {
    "sms": "mamapro.notify.channels.mobizon.MobizonSMS",
    "whatsapp": "mamapro.notify.channels.whatsapp.WhatsAppCloud",
    "telegram": "mamapro.notify.channels.telegram.TelegramBot",
    "email": "mamapro.notify.channels.email.SMTPEmail",
}


def adapter(channel: str) -> Adapter:
    cls = import_string(ADAPTERS[channel])
    result: Adapter = cls()
    return result


def all_adapters() -> dict[str, Adapter]:
    return {name: adapter(name) for name in ADAPTERS}
