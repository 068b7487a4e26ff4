"""The template editor: every kind × variant with its version per language, and one
(kind, variant, language) with a live preview per language, the SMS parts and cost, and
its history of versions.

Templates are the network's, not a centre's: one set of words for every centre. Whoever
holds TEMPLATES_EDIT at any centre (the director, coordinators, communications) may edit
them; other roles get 403. A saved version is audited and never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.notify import sms_parts, templates
from mamapro.notify.forms_templates import PreviewForm, TemplateForm
from mamapro.notify.models import MessageKind, MessageTemplate

HISTORY = 30


@dataclass(frozen=True)
class Card:
    """One language's preview: the text filled with sample values, its SMS parts and cost."""

    language: str
    language_name: str
    version: int
    text: str
    parts: sms_parts.SmsParts | None
    cost: str
    errors: tuple[str, ...] = ()
    live: bool = False


def money(amount: Decimal) -> str:
    """An amount in tenge as Kazakhstan writes it: "24,00 ₸" (grouped in the page's format)."""
    return f"{formats.number_format(amount, 2, use_l10n=True, force_grouping=True)}\u00a0₸"


def card(
    language: str, version: int, text: str, *, errors: tuple[str, ...] = (), live: bool = False
) -> Card:
    name = str(dict(settings.LANGUAGES)[language])
    if errors:
        return Card(language, name, version, "", None, "", errors, live)
    filled = templates.preview(text, language, timezone.now())
    parts = sms_parts.count(filled)
    return Card(
        language,
        name,
        version,
        filled,
        parts,
        money(parts.parts * templates.part_price()),
        (),
        live,
    )


def _who(user: User | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def _key(kind: str, variant: str, language: str) -> None:
    if kind not in templates.KINDS or variant not in templates.VARIANTS:
        raise Http404
    if language not in templates.LANGUAGES:
        raise Http404


@perms.rule(perms.TEMPLATES_EDIT)
def template_list(request: HttpRequest) -> HttpResponse:
    saved = {(t.kind, t.variant, t.language): t for t in templates.newest_templates()}
    kinds = [
        {
            "kind": kind,
            "label": label,
            "variants": [
                {
                    "variant": variant,
                    "label": MessageTemplate.Variant(variant).label,
                    "cells": [
                        templates.current(kind, variant, lang, saved.get((kind, variant, lang)))
                        for lang in templates.LANGUAGES
                    ],
                }
                for variant in templates.VARIANTS
            ],
        }
        for kind, label in MessageKind.choices
    ]
    return render(
        request,
        "notify/templates/list.html",
        {"kinds": kinds, "languages": settings.LANGUAGES},
    )


@perms.rule(perms.TEMPLATES_EDIT)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, kind: str, variant: str, language: str) -> HttpResponse:
    _key(kind, variant, language)
    saved = {t.language: t for t in templates.newest_templates().filter(kind=kind, variant=variant)}
    now = {
        lang: templates.current(kind, variant, lang, saved.get(lang))
        for lang in templates.LANGUAGES
    }
    mine = now[language]
    may_save = variant != templates.DISCREET or perms.principal(request.user).can(
        perms.TEMPLATES_EDIT_DISCREET
    )
    if request.method == "POST":
        form = TemplateForm(request.POST, variant=variant)
        if not may_save:
            form.is_valid()
            form.add_error(
                None, _("Only the director changes the discreet words: every survivor gets them.")
            )
        elif form.is_valid():
            try:
                row = templates.save_version(
                    kind,
                    variant,
                    language,
                    text=form.cleaned_data["text"],
                    subject=form.cleaned_data["subject"],
                    whatsapp_name=form.cleaned_data["whatsapp_name"],
                    base_version=form.cleaned_data["base_version"],
                    actor=perms.acting_user(request),
                )
            except templates.TemplateError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Saved as version %(version)s.") % {"version": row.version}
                )
                return redirect("notify_template_edit", kind, variant, language)
    else:
        form = TemplateForm(
            initial={
                "text": mine.text,
                "subject": mine.subject,
                "whatsapp_name": mine.whatsapp_name,
                "base_version": mine.version,
            },
            variant=variant,
        )
    cards = []
    for lang, words in now.items():
        if lang != language:
            cards.append(card(lang, words.version, words.text))
        elif form.is_bound and "text" in form.errors:
            cards.append(
                card(
                    lang,
                    mine.version,
                    "",
                    errors=tuple(str(e) for e in form.errors["text"]),
                    live=True,
                )
            )
        else:
            text = form.cleaned_data["text"] if form.is_bound else mine.text
            cards.append(card(lang, mine.version, text, live=True))
    cards.sort(key=lambda c: not c.live)  # hers first: under the text she is typing
    history = [
        (v, _who(v.created_by))
        for v in MessageTemplate.objects.filter(kind=kind, variant=variant, language=language)
        .select_related("created_by")
        .order_by("-version")[:HISTORY]
    ]
    return render(
        request,
        "notify/templates/edit.html",
        {
            "kind": kind,
            "kind_label": MessageKind(kind).label,
            "variant": variant,
            "variant_label": MessageTemplate.Variant(variant).label,
            "language": language,
            "language_name": dict(settings.LANGUAGES)[language],
            "current": mine,
            "form": form,
            "cards": cards,
            "history": history,
            "placeholders": [
                (f"{{{name}}}", description, name in templates.NOT_DISCREET)
                for name, description in templates.PLACEHOLDERS.items()
            ],
            "discreet": variant == templates.DISCREET,
            "may_save": may_save,
            "part_price": money(templates.part_price()),
        },
    )


@perms.rule(perms.TEMPLATES_EDIT)
@require_POST
def template_preview(request: HttpRequest, kind: str, variant: str, language: str) -> HttpResponse:
    """The live preview (htmx partial) of the text being typed, with sample values."""
    _key(kind, variant, language)
    form = PreviewForm(request.POST, variant=variant)
    if form.is_valid():
        shown = card(language, 0, form.cleaned_data["text"], live=True)
    else:
        shown = card(language, 0, "", errors=tuple(str(e) for e in form.errors["text"]), live=True)
    return render(request, "notify/templates/_preview.html", {"card": shown})
