"""The shipped words: every kind in kk, ru and en, both variants, placeholders known, and
the discreet ones give nothing away to whoever reads her phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mamapro.notify import default_templates, sms_parts, templates
from mamapro.notify.models import MessageKind
from mamapro.people import safe_contact

ALL = [
    (kind, variant, language)
    for kind in MessageKind.values
    for variant in templates.VARIANTS
    for language in templates.LANGUAGES
]
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_every_kind_has_both_variants_in_every_language() -> None:
    assert set(default_templates.TEXTS) == set(MessageKind.values)
    for kind, variant, language in ALL:
        assert default_templates.text(kind, variant, language).strip(), (kind, variant, language)
    assert set(default_templates.SUBJECTS) == set(templates.LANGUAGES)


@pytest.mark.parametrize(("kind", "variant", "language"), ALL)
def test_shipped_words_pass_the_editor_s_own_check(kind: str, variant: str, language: str) -> None:
    templates.validate(default_templates.text(kind, variant, language), variant)


@pytest.mark.parametrize(
    ("kind", "language"),
    [(k, lang) for k in MessageKind.values for lang in templates.LANGUAGES],
)
def test_discreet_words_say_nothing_of_the_centre_s_purpose(kind: str, language: str) -> None:
    words = default_templates.text(kind, templates.DISCREET, language)
    assert safe_contact.is_discreet(words)
    filled = templates.preview(words, language, NOW)
    assert safe_contact.is_discreet(filled), filled
    for revealing in ("Mama Pro", "Мама", "тегін", "бесплатн", "free", "психолог", "курс"):
        assert revealing.casefold() not in filled.casefold(), (revealing, filled)
    assert safe_contact.is_discreet(default_templates.SUBJECTS[language])


@pytest.mark.parametrize(
    ("kind", "language"),
    [(k, lang) for k in MessageKind.values if k != "roster_message" for lang in ("kk", "ru")],
)
def test_discreet_kazakh_and_russian_fit_two_sms_parts(kind: str, language: str) -> None:
    """With the sample values (an offer link as long as a real one): two UCS-2 parts."""
    filled = templates.preview(default_templates.text(kind, "discreet", language), language, NOW)
    parts = sms_parts.count(filled)
    assert parts.encoding == sms_parts.UCS2
    assert parts.parts <= 2, (filled, parts)


def test_the_staff_alert_names_no_one() -> None:
    for variant in templates.VARIANTS:
        for language in templates.LANGUAGES:
            words = default_templates.text("staff_alert", variant, language)
            assert set(templates.validate(words, variant)) <= {"centre", "link"}


def test_a_discreet_roster_message_is_only_her_coordinator_s_words() -> None:
    for language in templates.LANGUAGES:
        assert default_templates.text("roster_message", "discreet", language) == "{message}"


def test_the_checker_fails_when_it_should() -> None:
    """The tests above could pass on a checker that accepts everything: it does not."""
    with pytest.raises(ValidationError):
        templates.validate("Mama Pro: {when}", "discreet")
    with pytest.raises(ValidationError):
        templates.validate("«{course}» {when}", "discreet")
    assert templates.preview("{when}", "kk", timezone.now())
