from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamapro.centres.models import Centre
from mamapro.people.models import (
    Child,
    ChildAdult,
    Circumstance,
    Consent,
    ContactChannel,
    Participant,
)
from mamapro.people.services import ADULT_FIELDS, CHILD_FIELDS, PARTICIPANT_FIELDS
from mamapro.people.validators import normalise_phone, validate_iin


class ParticipantForm(forms.ModelForm[Participant]):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none(), label=_("Centre"))
    circumstances = forms.MultipleChoiceField(
        label=_("Circumstances"),
        choices=Circumstance.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    eligibility_verified = forms.BooleanField(
        label=_("Eligibility for a free seat verified"),
        required=False,
        help_text=_("Tick only after seeing the documents that confirm her circumstance."),
    )
    # Wider than the stored form: people type spaces, brackets and dashes; the model normalises.
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        help_text=_("Any usual form, e.g. 8 701 123 45 67."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    iin = forms.CharField(
        label=_("IIN"),
        max_length=20,
        required=False,
        help_text=_("12 digits; optional."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    contact_channels = forms.MultipleChoiceField(
        label=_("Safe channels"),
        choices=ContactChannel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Participant
        fields = PARTICIPANT_FIELDS
        widgets = {
            "safe_hours_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "safe_hours_to": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "address": forms.Textarea(attrs={"rows": 2}),
            "safe_contact_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        centre_field = self.fields["centre"]
        assert isinstance(centre_field, forms.ModelChoiceField)
        centre_field.queryset = Centre.objects.filter(id__in=[c.id for c in centres])
        if self.instance.pk:
            del self.fields["centre"]
            self.initial["circumstances"] = list(
                self.instance.circumstances.values_list("kind", flat=True)
            )
            self.initial["eligibility_verified"] = self.instance.eligibility_verified
            if self.instance.address_hidden:
                self._hide_address()
        elif len(centres) == 1:
            self.fields["centre"].initial = centres[0]
            self.fields["centre"].widget = forms.HiddenInput()

    def _hide_address(self) -> None:
        """She asked to keep her address hidden: the form neither shows nor sends it back.
        A coordinator may still replace it (write-only) or delete it."""
        del self.fields["address"]
        self.fields["new_address"] = forms.CharField(
            label=_("New address"),
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
            help_text=_(
                "Her address is hidden at her request and is not shown here. Type a new one to "
                "replace it; leave empty to keep it."
            ),
        )
        self.fields["delete_address"] = forms.BooleanField(
            label=_("Delete the stored address"), required=False
        )
        order = list(self.fields)
        order = [n for n in order if n not in ("new_address", "delete_address")]
        at = order.index("address_hidden") if "address_hidden" in order else len(order)
        order[at:at] = ["new_address", "delete_address"]
        self.order_fields(order)

    # The same checks the model runs, here too so that every field's message shows at once.
    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean_iin(self) -> str:
        raw = self.cleaned_data.get("iin") or ""
        return validate_iin(raw) if raw.strip() else ""

    def _post_clean(self) -> None:
        # Model validation (uniqueness, cross-field rules) runs in the service.
        pass

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_address", "").strip() and cleaned.get("delete_address"):
            self.add_error("delete_address", _("Either type a new address or delete it, not both."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in PARTICIPANT_FIELDS if name in self.fields}
        if "new_address" in self.fields:
            if self.cleaned_data["new_address"].strip():
                data["address"] = self.cleaned_data["new_address"]
            elif self.cleaned_data["delete_address"]:
                data["address"] = ""
        return data


class ChildForm(forms.ModelForm[Child]):
    support_needs = forms.MultipleChoiceField(
        label=_("Support needs"),
        choices=Child.Need.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    diet = forms.MultipleChoiceField(
        label=_("Diet"),
        choices=Child.Diet.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Child
        fields = CHILD_FIELDS
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "communication_notes": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "medication": forms.Textarea(attrs={"rows": 2}),
            "medical_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in CHILD_FIELDS}


class AdultForm(forms.ModelForm[ChildAdult]):
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )

    class Meta:
        model = ChildAdult
        fields = ADULT_FIELDS
        widgets = {
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone") or ""
        return normalise_phone(raw) if raw.strip() else ""

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ADULT_FIELDS}


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Purpose"), choices=Consent.Kind.choices)
    version = forms.CharField(label=_("Text version"), max_length=20, initial="2026-1")
    valid_until = forms.DateField(
        label=_("Valid until (empty: until she withdraws it)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    third_party_transfer = forms.BooleanField(
        label=_("She agrees her data may be passed to partners and funders"), required=False
    )
    cross_border_transfer = forms.BooleanField(
        label=_("She agrees her data may be transferred outside Kazakhstan"), required=False
    )
