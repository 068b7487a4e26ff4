"""Applying a dict of changes to a model instance: shared by every domain's services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _


def apply_changes(
    obj: models.Model, data: Mapping[str, Any], allowed: Iterable[str]
) -> dict[str, Any]:
    """Set the allowed fields from `data`; return their values from before."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    before = {name: getattr(obj, name) for name in data}
    for name, value in data.items():
        setattr(obj, name, value)
    return before


def changed_fields(obj: models.Model, before: Mapping[str, Any]) -> set[str]:
    """Fields whose cleaned value differs from before ('8 701…' and '+7701…' are the same)."""
    return {name for name, old in before.items() if getattr(obj, name) != old}
