"""Public forms: ask only what the centre needs, in words a woman can answer safely.

Browsers are told not to remember what is typed (autocomplete off): on a shared phone the
next person must not find her name or number suggested in the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from mamapro.centres.models import Centre
from mamapro.people.models import Circumstance, ContactChannel, Language
from mamapro.people.validators import normalise_phone
from mamapro.programs.models import Run
from mamapro.public.consent import CONSENT_VERSION
from mamapro.public.services.applications import (
    FREE,
    MAX_CHILDREN,
    PAID,
    ApplicationInput,
    check_application,
    seat_choices,
)
from mamapro.public.templatetags.public_site import price

NO_AUTOFILL = {"autocomplete": "off", "autocapitalize": "words", "spellcheck": "false"}

# The public wording of each circumstance: what she can tick without naming it outright.
PUBLIC_CIRCUMSTANCES = [
    (Circumstance.Kind.SPECIAL_NEEDS_CHILD, _("I am raising a child with special needs")),
    (Circumstance.Kind.STAY_AT_HOME, _("I am a stay-at-home mother")),
    (Circumstance.Kind.DOMESTIC_VIOLENCE, _("I am going through a difficult family situation")),
    (Circumstance.Kind.OTHER, _("Another difficult situation")),
]


class PhoneField(forms.CharField):
    """A +7 number typed any usual way; the message names what is wrong with it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Phone"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("error_messages", {"required": _("Please write your phone number.")})
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "dir": "ltr"}),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        raw = super().clean(value)
        return normalise_phone(raw) if raw else raw


def _name_field(label: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=80,
        error_messages={"required": _("Please write your name here.")},
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )


class ApplicationForm(forms.Form):
    given_name = _name_field(_("Given name"))
    family_name = _name_field(_("Family name"))
    phone = PhoneField(help_text=_("For example 8 701 123 45 67."))
    language = forms.ChoiceField(
        label=_("Which language do you prefer?"),
        choices=Language.choices,
        widget=forms.RadioSelect,
    )
    seat_wanted = forms.ChoiceField(label=_("Which place are you asking for?"), choices=())
    circumstances = forms.MultipleChoiceField(
        label=_("If you are asking for a free place, what applies to you?"),
        choices=PUBLIC_CIRCUMSTANCES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "You do not need to explain anything here. We talk about it with you in person, "
            "in confidence, before the course."
        ),
    )
    kids_room = forms.BooleanField(
        label=_("I would like my children to stay in the kids' room during the classes"),
        required=False,
    )
    children_count = forms.ChoiceField(
        label=_("How many children?"),
        choices=[("", "—"), *[(str(n), str(n)) for n in range(1, MAX_CHILDREN + 1)]],
        required=False,
    )
    children_ages = forms.CharField(
        label=_("Their ages"),
        max_length=60,
        required=False,
        help_text=_("For example: 3 and 7. We ask about their needs in person."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    contact_channels = forms.MultipleChoiceField(
        label=_("How may we contact you?"),
        choices=ContactChannel.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one way we may contact you.")},
    )
    safe_hours_from = forms.TimeField(
        label=_("Safe to contact from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    safe_hours_to = forms.TimeField(
        label=_("until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    do_not_call = forms.BooleanField(
        label=_("Please do not call me; write to me instead"), required=False
    )
    consent = forms.BooleanField(
        label=_("I have read this and I agree"),
        error_messages={
            "required": _("Please tick the box to agree; without it we cannot keep your request.")
        },
    )
    consent_version = forms.CharField(widget=forms.HiddenInput, initial=CONSENT_VERSION)

    def __init__(self, *args: Any, run: Run, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.run = run
        self.fields["language"].initial = language if language in Language.values else "ru"
        seat = self.fields["seat_wanted"]
        assert isinstance(seat, forms.ChoiceField)
        choices = seat_choices(run)
        labels: dict[str, StrOrPromise] = {
            PAID: _("A paid place, %(price)s") % {"price": price(run)}
            if run.price
            else _("A place (free of charge)"),
            FREE: _("A free place: I am in a difficult situation"),
        }
        seat.choices = [(c, labels[c]) for c in choices]
        if len(choices) == 1:
            seat.initial = choices[0]
            seat.widget = forms.HiddenInput()
        else:
            seat.widget = forms.RadioSelect(choices=seat.choices)
        if FREE not in choices or run.price == 0:
            del self.fields["circumstances"]
        if not run.kids_room:
            for name in ("kids_room", "children_count", "children_ages"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            check_application(self.run, self.application_input())
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                target = name if name in self.fields else None
                # A field that failed its own check already says what is wrong.
                if target is not None and target in self.errors:
                    continue
                for message in messages:
                    self.add_error(target, message)
        return data

    def application_input(self) -> ApplicationInput:
        get = self.cleaned_data.get
        return ApplicationInput(
            given_name=get("given_name") or "",
            family_name=get("family_name") or "",
            phone=get("phone") or "",
            language=get("language") or "",
            seat_wanted=get("seat_wanted") or "",
            circumstances=tuple(get("circumstances") or ()),
            kids_room=bool(get("kids_room")),
            children_count=int(get("children_count") or 0),
            children_ages=get("children_ages") or "",
            contact_channels=tuple(get("contact_channels") or ()),
            safe_hours_from=get("safe_hours_from"),
            safe_hours_to=get("safe_hours_to"),
            do_not_call=bool(get("do_not_call")),
            consent_version=get("consent_version") or "",
        )


class TopicProposalForm(forms.Form):
    centre = forms.ModelChoiceField(
        label=_("Centre"), queryset=Centre.objects.none(), empty_label=None
    )
    title = forms.CharField(
        label=_("Topic"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("For example: how to register as self-employed."),
    )
    details = forms.CharField(
        label=_("What would you like to learn? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    phone = PhoneField(help_text=_("The phone you gave the centre."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        centre = self.fields["centre"]
        assert isinstance(centre, forms.ModelChoiceField)
        centre.queryset = Centre.objects.filter(is_active=True).order_by("name")


class TopicVoteForm(forms.Form):
    phone = PhoneField(help_text=_("The phone you gave the centre."))
