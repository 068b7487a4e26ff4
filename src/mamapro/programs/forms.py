from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mamapro.programs.models import Enrollment, Fee


class EnrollForm(forms.Form):
    participant = forms.IntegerField(label=_("Participant"), widget=forms.HiddenInput)
    seat_type = forms.ChoiceField(label=_("Seat"), choices=Enrollment.SeatType.choices)


class SeatsForm(forms.Form):
    paid_seats = forms.IntegerField(label=_("Paid seats"), min_value=0, max_value=500)
    free_seats = forms.IntegerField(label=_("Free seats"), min_value=0, max_value=500)


class SponsorForm(forms.Form):
    seats = forms.IntegerField(label=_("Extra free seats"), min_value=1, max_value=100)
    sponsor = forms.CharField(label=_("Sponsor"), max_length=160)


class SeatTypeForm(forms.Form):
    seat_type = forms.ChoiceField(label=_("Seat"), choices=Enrollment.SeatType.choices)


class FeeForm(forms.Form):
    status = forms.ChoiceField(label=_("Fee"), choices=Fee.Status.choices)
