from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamapro.centres.models import Centre, Room
from mamapro.core.models import User
from mamapro.core.permissions import Role
from mamapro.programs.models import Course, Enrollment, Fee


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


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class RunCreateForm(forms.Form):
    """A new run and its weekly timetable, on one phone-sized form."""

    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.all())
    centre = forms.ModelChoiceField(label=_("Centre"), queryset=Centre.objects.none())
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    trainer = forms.ModelChoiceField(
        label=_("Trainer"), queryset=User.objects.none(), required=False
    )
    price = forms.DecimalField(
        label=_("Price of a paid seat (KZT)"),
        min_value=0,
        max_digits=10,
        decimal_places=2,
        initial=0,
    )
    paid_seats = forms.IntegerField(label=_("Paid seats"), min_value=0, max_value=500, initial=10)
    free_seats = forms.IntegerField(label=_("Free seats"), min_value=0, max_value=500, initial=10)
    sponsor = forms.CharField(label=_("Sponsor of the free seats"), max_length=160, required=False)
    kids_room = forms.BooleanField(label=_("Kids' room offered"), required=False, initial=True)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False)

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [c.pk for c in centres]
        self._set_queryset("centre", Centre.objects.filter(pk__in=ids))
        self._set_queryset(
            "trainer",
            User.objects.filter(
                memberships__centre_id__in=ids, memberships__role=Role.TRAINER
            ).distinct(),
        )
        self._set_queryset("room", Room.objects.filter(centre_id__in=ids, kind=Room.Kind.CLASSROOM))
        if len(centres) == 1:
            self.fields["centre"].initial = centres[0]

    def _set_queryset(self, name: str, queryset: Any) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset
