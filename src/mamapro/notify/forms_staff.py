"""Forms of the staff's message pages: a message to a run's roster, her own alert contact, the
failures' filter. Every refusal names its field; nothing is written before all of it is valid.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamapro.core.text import no_invisible_characters
from mamapro.notify import addresses, templates
from mamapro.notify.models import Channel, MessageKind
from mamapro.people.validators import normalise_phone

# About three SMS parts in Cyrillic (70 characters a part in UCS-2, 67 when split): a
# message to a roster is a short note, the details are for a call.
ROSTER_MESSAGE_MAX = 200
# "{name}", "{{ name }}", "%(name)s": the roster's text goes out as written, so anything that
# looks like a placeholder would reach her phone as typed.
_PLACEHOLDER = re.compile(r"\{\{?\s*([^{}]*?)\s*\}?\}|%\(([^)]*)\)s")
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,43}$")


def new_send_key() -> str:
    """One per form shown: sending the same form twice queues each woman's message once."""
    return secrets.token_urlsafe(16)


class RosterMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message"),
        max_length=ROSTER_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[no_invisible_characters],
        help_text=_(
            "Sent as written, in one language. Women who must receive discreet messages get "
            "it inside the discreet template, so it must not say what the centre is for."
        ),
    )
    key = forms.CharField(label=_("This form"), widget=forms.HiddenInput, required=True)

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"].strip()
        names = [a or b for a, b in _PLACEHOLDER.findall(text)]
        if names:
            raise ValidationError(
                gettext(
                    "The message contains a placeholder (%(names)s). A message to the roster "
                    "goes out exactly as written: write the words themselves."
                )
                % {"names": ", ".join(f"«{n}»" for n in names[:3])},
                code="placeholder",
            )
        return text

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        if not _KEY.match(key):
            raise ValidationError(gettext("Reload the page and send again."), code="key")
        return key

    def refuse_revealing(self, extra: Sequence[str] = ()) -> bool:
        """For a roster with women who get discreet messages: refuse a text that names the
        centre's purpose — or this run's course, rooms, the centre's name or address (`extra`)
        — naming the words (she rewrites it; nothing is queued)."""
        words = templates.revealing_words(self.cleaned_data.get("text", ""), extra)
        if words:
            self.add_error(
                "text",
                gettext(
                    "Some women on this roster must receive discreet messages, and this text "
                    "says what the centre is for: %(words)s. Rewrite it without these words."
                )
                % {"words": ", ".join(f"«{w}»" for w in words)},
            )
            return True
        return False


class StaffContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    address = forms.CharField(
        label=_("Phone, Telegram chat id or e-mail"),
        max_length=254,
        validators=[no_invisible_characters],
        help_text=_(
            "A phone number (+7…) for SMS and WhatsApp, your chat id for Telegram, "
            "an e-mail address for e-mail."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel, address = data.get("channel"), (data.get("address") or "").strip()
        if not channel or not address:
            return data
        try:
            if channel in (Channel.SMS, Channel.WHATSAPP):
                # Its own messages say what is wrong with the number.
                address = normalise_phone(address)
            else:
                address = addresses.by_channel(channel, address)
        except ValidationError as exc:
            self.add_error("address", exc)
            return data
        except addresses.BadAddress:
            self.add_error(
                "address",
                gettext("Enter an e-mail address, e.g. name@example.kz.")
                if channel == Channel.EMAIL
                else gettext("A Telegram chat id is a number, e.g. 123456789."),
            )
            return data
        data["address"] = address
        return data


class FailedFilterForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *MessageKind.choices]
    )
    # The keyset: the last id of the page seen (a new filter starts again from the newest).
    before = forms.IntegerField(
        label=_("Page"),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        widget=forms.HiddenInput,
    )
