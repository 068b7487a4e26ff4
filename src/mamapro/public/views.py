"""The public site: no login, nothing from another origin, a quick exit on every page.

Every page is sent with `Cache-Control: no-store`, so a page she left with the quick exit is
not kept in the browser's cache for the next person to bring back, nor the form she filled.
The answer to an application, a proposal or a vote is the same whether the phone is known
(and takes the same time: see services/). Every POST passes the rate limit first
(throttle.py): per address before anything else, per phone once the form is valid; over it,
the same 429 page with `Retry-After`, whichever limit and whoever's phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from mamapro.centres.models import Centre
from mamapro.core.permissions import PUBLIC, rule
from mamapro.programs.models import Run, TopicRequest
from mamapro.public import queries, throttle
from mamapro.public.consent import CONSENT_PARAGRAPHS
from mamapro.public.forms import ApplicationForm, TopicProposalForm, TopicVoteForm
from mamapro.public.services import applications, topics


def _not_found(request: HttpRequest) -> HttpResponse:
    # The public layout (with its quick exit), not the staff 404 page.
    return render(request, "public/not_found.html", status=404)


def _add_errors(form: Form, exc: ValidationError) -> None:
    """Service errors beside their field when the form has it, above the form otherwise."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


def _too_many(request: HttpRequest, refusal: throttle.Refusal) -> HttpResponse:
    minutes = max(1, -(-refusal.retry_after // 60))
    if minutes > 90:
        hours = -(-minutes // 60)
        wait = ngettext(
            "Please try again in %(count)s hour.", "Please try again in %(count)s hours.", hours
        ) % {"count": hours}
    else:
        wait = ngettext(
            "Please try again in %(count)s minute.",
            "Please try again in %(count)s minutes.",
            minutes,
        ) % {"count": minutes}
    response = render(request, "public/too_many.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _limited(request: HttpRequest, form: Form, action: str) -> throttle.Refusal | None:
    """Count this POST for its address, and for its phone when the form is valid."""
    refusal = throttle.check_address(request)
    if refusal is None and form.is_valid():
        refusal = throttle.check_phone(action, form.cleaned_data["phone"])
    return refusal


def _by_centre(runs: Iterable[Run]) -> list[tuple[Centre, list[tuple[Run, list[Any]]]]]:
    ordered = sorted(runs, key=lambda r: (r.centre.name, r.starts_on, r.pk))
    return [
        (centre, [(run, queries.places(run)) for run in group])
        for centre, group in groupby(ordered, key=lambda r: r.centre)
    ]


@rule(PUBLIC)
@require_GET
@never_cache
def catalogue(request: HttpRequest) -> HttpResponse:
    centres = list(Centre.objects.filter(is_active=True).only("id", "name", "city"))
    raw = request.GET.get("centre", "")
    chosen = int(raw) if raw.isdigit() and int(raw) in {c.id for c in centres} else None
    runs = queries.upcoming_runs(chosen)
    return render(
        request,
        "public/catalogue.html",
        {"centres": centres, "chosen": chosen, "by_centre": _by_centre(runs)},
    )


@rule(PUBLIC)
@require_GET
@never_cache
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = queries.public_run(pk)
    if run is None:
        return _not_found(request)
    sessions = list(run.sessions.filter(cancelled=False).order_by("starts_at"))
    return render(
        request,
        "public/run_detail.html",
        {
            "run": run,
            "places": queries.places(run),
            "sessions": sessions,
            "open": applications.open_for_applications(run),
        },
    )


@rule(PUBLIC)
@require_http_methods(["GET", "POST"])
@never_cache
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    run = queries.public_run(pk)
    if run is None or not applications.open_for_applications(run):
        return _not_found(request)
    form = ApplicationForm(request.POST or None, run=run, language=get_language())
    if request.method == "POST" and (refusal := _limited(request, form, throttle.APPLICATION)):
        return _too_many(request, refusal)
    if request.method == "POST" and form.is_valid():
        try:
            applications.apply(run, form.application_input())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("public:applied", args=[run.pk]))
    return render(
        request,
        "public/apply.html",
        {"run": run, "form": form, "consent_paragraphs": CONSENT_PARAGRAPHS},
    )


@rule(PUBLIC)
@require_GET
@never_cache
def applied(request: HttpRequest, pk: int) -> HttpResponse:
    # The same page for every application to this run: nothing here depends on who applied.
    return render(request, "public/applied.html", {"run": queries.public_run(pk)})


@rule(PUBLIC)
@require_GET
@never_cache
def topic_list(request: HttpRequest) -> HttpResponse:
    rows = list(queries.public_topics())
    grouped = [(centre, list(group)) for centre, group in groupby(rows, key=lambda t: t.centre)]
    done = request.GET.get("done")
    return render(
        request,
        "public/topics.html",
        {"by_centre": grouped, "done": done if done in {"vote", "proposal"} else None},
    )


@rule(PUBLIC)
@require_http_methods(["GET", "POST"])
@never_cache
def topic_propose(request: HttpRequest) -> HttpResponse:
    form = TopicProposalForm(request.POST or None)
    if request.method == "POST" and (refusal := _limited(request, form, throttle.PROPOSAL)):
        return _too_many(request, refusal)
    if request.method == "POST" and form.is_valid():
        try:
            topics.propose_topic(
                form.cleaned_data["centre"],
                title=form.cleaned_data["title"],
                details=form.cleaned_data["details"],
                phone=form.cleaned_data["phone"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("public:topics") + "?done=proposal")
    return render(request, "public/topic_propose.html", {"form": form})


@rule(PUBLIC)
@require_http_methods(["GET", "POST"])
@never_cache
def topic_vote(request: HttpRequest, pk: int) -> HttpResponse:
    topic: TopicRequest | None = queries.public_topics().filter(pk=pk).first()
    if topic is None:
        return _not_found(request)
    form = TopicVoteForm(request.POST or None)
    if request.method == "POST" and (refusal := _limited(request, form, throttle.VOTE)):
        return _too_many(request, refusal)
    if request.method == "POST" and form.is_valid():
        try:
            topics.vote(topic, phone=form.cleaned_data["phone"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            # Counted, counted before, or not a member: the same answer.
            return HttpResponseRedirect(reverse("public:topics") + "?done=vote")
    return render(request, "public/topic_vote.html", {"form": form, "topic": topic})


@rule(PUBLIC)
@require_GET
@never_cache
def safety(request: HttpRequest) -> HttpResponse:
    return render(request, "public/safety.html")
