"""`{% load people %}`: a woman's name as the viewer may see it."""

from __future__ import annotations

from typing import Any

from django import template

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
