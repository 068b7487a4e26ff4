from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from mamapro.core.templatetags import mamapro as tags


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    fixed = dt.date(2026, 11, 23)
    monkeypatch.setattr(tags.timezone, "localdate", lambda: fixed)
    return fixed


@pytest.mark.parametrize(
    ("born", "en", "ru", "kk"),
    [
        (dt.date(2026, 5, 1), "6 months", "6 месяцев", "6 ай"),
        (dt.date(2021, 8, 23), "5 years, 3 months", "5 лет 3 месяца", "5 жас 3 ай"),
        (dt.date(2024, 11, 23), "2 years", "2 года", "2 жас"),
        (dt.date(2014, 1, 1), "12 years", "12 лет", "12 жас"),
        (dt.date(2025, 11, 24), "11 months", "11 месяцев", "11 ай"),
    ],
)
def test_age_in_each_language(today, born: dt.date, en: str, ru: str, kk: str) -> None:
    for language, expected in (("en", en), ("ru", ru), ("kk", kk)):
        with translation.override(language):
            assert tags.age(born) == expected
