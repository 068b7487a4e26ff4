"""The director's view of the audit log: filter by person, staff member, action and dates;
export what is shown as CSV. Reading the log is itself written to the log.

`core` cannot know the domains above it, so they register two things in their AppConfig.ready:
a person finder (people: a name or phone → participants) and subject sources (each domain:
participants → the objects of theirs that belong to her, e.g. her children, her enrollments).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.models import AuditEntry

PersonFinder = Callable[[str], list[tuple[int, str]]]
SubjectSource = Callable[[list[int]], list[tuple[str, list[str]]]]
_FINDERS: list[PersonFinder] = []
_SOURCES: list[SubjectSource] = []
PAGE = 50
EXPORT_LIMIT = 100_000


def register_person_finder(finder: PersonFinder) -> None:
    if finder not in _FINDERS:
        _FINDERS.append(finder)


def register_subjects(source: SubjectSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


class AuditFilter(forms.Form):
    person = forms.CharField(
        label=gettext_lazy("Person (name or phone)"), required=False, max_length=100
    )
    staff = forms.CharField(
        label=gettext_lazy("Staff member (login)"), required=False, max_length=150
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[("", gettext_lazy("any")), *list(AuditEntry.Action.choices)],
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


@dataclass
class Found:
    entries: QuerySet[AuditEntry]
    people: list[tuple[int, str]]
    no_person: bool = False


def filtered(data: dict[str, Any]) -> Found:
    qs = AuditEntry.objects.select_related("actor").order_by("-seq")
    people: list[tuple[int, str]] = []
    if data.get("person"):
        for finder in _FINDERS:
            people += finder(data["person"])
        if not people:
            return Found(qs.none(), [], no_person=True)
        ids = [pk for pk, _label in people]
        about = Q()
        for source in _SOURCES:
            for object_type, object_ids in source(ids):
                if object_ids:
                    about |= Q(object_type=object_type, object_id__in=object_ids)
        qs = qs.filter(about) if about else qs.none()
    if data.get("staff"):
        staff = data["staff"].strip()
        # Her own entries, and the failed log-ins typed with her log-in (kept as a digest).
        qs = qs.filter(
            Q(actor_name__iexact=staff)
            | Q(action=AuditEntry.Action.LOGIN_FAILED, details__username_digest=audit.digest(staff))
        )
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    if data.get("date_from"):
        qs = qs.filter(at__gte=_start_of(data["date_from"]))
    if data.get("date_to"):
        qs = qs.filter(at__lt=_start_of(data["date_to"] + dt.timedelta(days=1)))
    return Found(qs, people)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@perms.rule(perms.AUDIT_VIEW)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilter(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    found = filtered(data)
    before = request.GET.get("before", "")
    entries = found.entries
    if before.isdigit():
        entries = entries.filter(seq__lt=int(before))
    page = list(entries[: PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    audit.record(
        AuditEntry.Action.READ_SENSITIVE,
        details={"audit_log": "viewed", **_described(data)},
    )
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "core/audit_log.html",
        {
            "form": form,
            "entries": page,
            "people": found.people[:20],
            "no_person": found.no_person,
            "next_before": page[-1].seq if more and page else None,
            "query": query.urlencode(),
        },
    )


# Typed search terms may be a woman's name or phone: the log keeps their keyed digest only.
_TYPED = ("person", "staff")


def _described(data: dict[str, Any]) -> dict[str, str]:
    described = {}
    for name, value in data.items():
        if not value:
            continue
        if name in _TYPED:
            described[f"{name}_digest"] = audit.digest(str(value))
        else:
            described[name] = str(value)
    return described


class _Echo:
    def write(self, value: str) -> str:
        return value


@perms.rule(perms.AUDIT_VIEW)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered entries as CSV (UTF-8 with a BOM, so Excel reads Kazakh letters)."""
    form = AuditFilter(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    entries = filtered(data).entries[:EXPORT_LIMIT]
    audit.record(
        AuditEntry.Action.READ_SENSITIVE, details={"audit_log": "exported", **_described(data)}
    )
    writer = csv.writer(_Echo())
    header = [
        _("Number"),
        _("When"),
        _("Who"),
        _("Action"),
        _("Object"),
        _("Object id"),
        _("Centre"),
        _("Fields"),
        _("Details"),
        _("From address"),
        _("Via"),
        _("Hash"),
    ]

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for e in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    e.seq,
                    timezone.localtime(e.at).isoformat(timespec="seconds"),
                    _cell(e.actor_name),
                    e.action,
                    e.object_type,
                    _cell(e.object_id),
                    e.centre_id or "",
                    " ".join(e.fields),
                    _cell("; ".join(f"{k}={v}" for k, v in sorted(e.details.items()))),
                    e.ip or "",
                    e.via,
                    e.entry_hash,
                ]
            )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _cell(text: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
