"""What the audit viewer needs from `people`: find a woman, and her records in the log."""

from __future__ import annotations

from mamapro.core.text import fold
from mamapro.people.models import Child, ChildAdult, Circumstance, Consent, Participant


def find_people(query: str) -> list[tuple[int, str]]:
    """Women whose name or phone matches every word of `query` (at most 20)."""
    qs = Participant.objects.all()
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits and len(digits) >= 4 and digits == query.replace(" ", "").replace("+", ""):
        qs = qs.filter(phone__contains=digits[-10:])
    else:
        for word in fold(query).split()[:6]:
            qs = qs.filter(search_key__contains=word)
    return [(p.pk, p.full_name) for p in qs.order_by("search_key", "id")[:20]]


def her_records(participant_ids: list[int]) -> list[tuple[str, list[str]]]:
    children = list(
        Child.objects.filter(parent_id__in=participant_ids).values_list("pk", flat=True)
    )
    return [
        (Participant._meta.label_lower, [str(pk) for pk in participant_ids]),
        (Child._meta.label_lower, [str(pk) for pk in children]),
        (
            ChildAdult._meta.label_lower,
            [
                str(pk)
                for pk in ChildAdult.objects.filter(child_id__in=children).values_list(
                    "pk", flat=True
                )
            ],
        ),
        (
            Consent._meta.label_lower,
            [
                str(pk)
                for pk in Consent.objects.filter(participant_id__in=participant_ids).values_list(
                    "pk", flat=True
                )
            ],
        ),
        (
            Circumstance._meta.label_lower,
            [
                str(pk)
                for pk in Circumstance.objects.filter(
                    participant_id__in=participant_ids
                ).values_list("pk", flat=True)
            ],
        ),
    ]
