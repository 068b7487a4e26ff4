"""What she sends us: STOP/СТОП/ТОҚТАТ turns that channel off (her wish, audited); a
Telegram `/start <token>` and her confirmation link her chat.

OWNER: the WhatsApp/Telegram helper. Signature fixed; body TBD.
"""

from __future__ import annotations

from collections.abc import Sequence

from mamapro.notify.channels.base import Inbound


def handle(channel: str, messages: Sequence[Inbound]) -> int:
    """Act on inbound messages (once per provider message id). Returns how many acted on."""
    raise NotImplementedError
