"""`{% load people %}`: a woman's name as the viewer may see it."""

from __future__ import annotations

from typing import Any

from django import template

from mamapro.people.visibility import shown_adult_name as adult_name_for
from mamapro.people.visibility import shown_child_name as child_name_for
from mamapro.people.visibility import shown_name as name_for

register = template.Library()


@register.simple_tag(takes_context=True)
def shown_name(context: template.Context, participant: Any) -> str:
    """Her roster alias for most roles; her name for coordinators and the director."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or participant is None:
        return ""
    return name_for(user, participant)


def _user(context: template.Context) -> Any:
    return getattr(context.get("request"), "user", None)


@register.simple_tag(takes_context=True)
def shown_child_name(context: template.Context, child: Any) -> str:
    """A child's name as the viewer may see it (people/visibility.py)."""
    user = _user(context)
    if user is None or child is None:
        return ""
    return child_name_for(user, child)


@register.simple_tag(takes_context=True)
def shown_adult_name(context: template.Context, adult: Any, mother: Any) -> str:
    """An adult around a child as the viewer may see her (people/visibility.py)."""
    user = _user(context)
    if user is None or adult is None:
        return ""
    return adult_name_for(user, adult, mother)
