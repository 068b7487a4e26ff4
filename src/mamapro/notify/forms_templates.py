"""The template editor's forms: the words of one (kind, variant, language)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from mamapro.notify import templates

WHATSAPP_NAME = RegexValidator(
    r"^[a-z0-9_]+$",
    _("A WhatsApp template name has only small Latin letters, digits and underscores."),
)


class PreviewForm(forms.Form):
    """The live preview's input: the text being typed, checked as a save would check it."""

    text = forms.CharField(
        label=_("Text"),
        max_length=templates.TEXT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args: Any, variant: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variant = variant

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        templates.validate(text, self.variant)
        return text


class TemplateForm(PreviewForm):
    subject = forms.CharField(
        label=_("E-mail subject"),
        max_length=120,
        required=False,
        strip=True,
        help_text=_("Empty: the neutral “A message for you” in her language."),
    )
    whatsapp_name = forms.CharField(
        label=_("WhatsApp template name"),
        max_length=120,
        required=False,
        validators=[WHATSAPP_NAME],
        help_text=_(
            "The approved template WhatsApp sends instead of this text; its parameters are "
            "this text's placeholders, in order."
        ),
    )
    # The version she started from: a newer one saved meanwhile is not silently replaced.
    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean_subject(self) -> str:
        subject: str = self.cleaned_data["subject"]
        if subject:
            templates.validate(subject, self.variant)
        return subject
