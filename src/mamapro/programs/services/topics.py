"""Workshop topics the women ask for, and their votes.

Staff record a topic a woman proposed (in a group chat, at the centre, on social media) and
the votes of the women who want it; the list is read by votes. One vote per woman and topic:
the unique constraint decides when two staff record the same vote at once.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.centres.models import Centre
from mamapro.core import audit
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry, User
from mamapro.people.models import Participant
from mamapro.programs import signals
from mamapro.programs.models import Run, TopicRequest, TopicVote


def propose_topic(
    centre: Centre,
    *,
    title: str,
    details: str = "",
    proposed_by: Participant | None = None,
    actor: User | None = None,
) -> TopicRequest:
    topic = TopicRequest(
        centre=centre,
        title=(title or "").strip(),
        details=(details or "").strip(),
        proposed_by=proposed_by,
    )
    errors: dict[str, Any] = {}
    if not topic.title:
        errors["title"] = _("Name the topic.")
    if proposed_by is not None and proposed_by.centre_id != centre.pk:
        errors["proposed_by"] = _("She is registered at another centre.")
    try:
        topic.full_clean(exclude=list(errors))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic.save()
        audit.record(
            AuditEntry.Action.CREATE,
            topic,
            fields=["title", "details"] + (["proposed_by"] if proposed_by else []),
            actor=actor,
        )
    return topic


def vote(topic: TopicRequest, participant: Participant, *, actor: User | None = None) -> TopicVote:
    """Her vote for the topic; a second vote from her is a conflict, not a second count."""
    if participant.centre_id != topic.centre_id:
        raise ValidationError(
            {"participant": _("Only women of the topic's centre can vote for it.")}
        )
    with transaction.atomic():
        topic = TopicRequest.objects.select_for_update().get(pk=topic.pk)
        if topic.status != TopicRequest.Status.OPEN:
            raise Conflict(_("Voting on this topic has closed."))
        if TopicVote.objects.filter(topic=topic, participant=participant).exists():
            raise Conflict(_("She has already voted for this topic."))
        try:
            with transaction.atomic():
                ballot = TopicVote.objects.create(
                    topic=topic, participant=participant, centre_id=topic.centre_id
                )
        except IntegrityError:
            raise Conflict(_("She has already voted for this topic.")) from None
        audit.record(AuditEntry.Action.CREATE, ballot, details={"topic": topic.pk}, actor=actor)
    return ballot


def set_topic_status(
    topic: TopicRequest,
    *,
    status: str,
    workshop: Run | None = None,
    actor: User | None = None,
) -> TopicRequest:
    """Mark a topic scheduled (naming the workshop run it became), closed, or open again."""
    errors = {}
    if status not in TopicRequest.Status.values:
        errors["status"] = _("Choose open, scheduled or closed.")
    if workshop is not None and workshop.centre_id != topic.centre_id:
        errors["workshop"] = _("Choose a run of the topic's centre.")
    if status == TopicRequest.Status.SCHEDULED and workshop is None and topic.workshop_id is None:
        errors["workshop"] = _("Name the workshop run this topic became.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        topic = TopicRequest.objects.select_for_update().get(pk=topic.pk)
        changed = []
        if topic.status != status:
            topic.status = status
            changed.append("status")
        if workshop is not None and topic.workshop_id != workshop.pk:
            topic.workshop = workshop
            changed.append("workshop")
        if changed:
            topic.save(update_fields=changed)
            audit.record(AuditEntry.Action.UPDATE, topic, fields=changed, actor=actor)
            if topic.status == TopicRequest.Status.SCHEDULED and topic.workshop_id is not None:
                run = workshop or Run.objects.get(pk=topic.workshop_id)
                if run.status == Run.Status.PUBLISHED:
                    signals.workshop_published_for_topic.send(
                        sender=TopicRequest, topic=topic, run=run, now=timezone.now()
                    )
    return topic
