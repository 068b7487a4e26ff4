"""Message templates: kinds × variants (standard/discreet) × kk/ru/en, versioned, rendered
when a message is sent (not when queued).

OWNER: the templates helper. Signatures fixed; bodies TBD.
"""

from __future__ import annotations

from dataclasses import dataclass

from mamapro.notify.models import Delivery, MessageTemplate


@dataclass(frozen=True)
class Rendered:
    text: str
    subject: str
    template: MessageTemplate | None
    # WhatsApp: approved template name and its body parameters in order.
    whatsapp_name: str = ""
    whatsapp_params: tuple[str, ...] = ()


def render(delivery: Delivery, *, discreet: bool) -> Rendered:
    """The newest template of this kind, variant and her language, filled from the
    delivery's subject and context. A discreet render is checked with
    `safe_contact.is_discreet` and refused (ValueError) if it names the centre's purpose."""
    raise NotImplementedError
