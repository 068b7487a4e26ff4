"""Workshop topics from the public site: members propose and vote, staff review.

Identity is her phone, looked up at the topic's centre: a vote counts only for a woman
registered there, once per topic (the database's unique constraint decides under a race).
A phone nobody knows creates nothing: no participant from a bare phone, no stored number.

The visitor's answer never depends on the phone: counted, already counted or unknown look the
same, the public list shows no vote counts and is not ordered by votes, and a proposal stays
off the public list until staff review it. Otherwise typing someone's phone here would tell
whether she comes to the centre.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.centres.models import Centre
from mamapro.core import audit
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry, User
from mamapro.people.models import Participant
from mamapro.people.validators import normalise_phone
from mamapro.programs.models import TopicRequest
from mamapro.programs.services import topics as programme_topics
from mamapro.public.models import TopicProposal


def _member(centre_id: int, phone: str) -> Participant | None:
    try:
        normal = normalise_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None
    return Participant.objects.filter(centre_id=centre_id, phone=normal).first()


def _check_text(title: str, details: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    details = (details or "").strip()
    errors = {}
    if len(title) < 3:
        errors["title"] = _("Please name the topic in a few words.")
    elif len(title) > 200:
        errors["title"] = _("Please keep the topic under 200 characters.")
    if len(details) > 1000:
        errors["details"] = _("Please keep it under 1000 characters.")
    if errors:
        raise ValidationError(errors)
    return title, details


def propose_topic(centre: Centre, *, title: str, details: str, phone: str) -> TopicRequest:
    """A new topic, held for review; a member's proposal also counts as her vote."""
    title, details = _check_text(title, details)
    member = _member(centre.pk, phone)
    with transaction.atomic():
        # The programme's own path for topics and votes (audited there); held here.
        topic = programme_topics.propose_topic(
            centre, title=title, details=details, proposed_by=member
        )
        TopicProposal.objects.create(topic=topic, centre=centre)
        if member is not None:
            programme_topics.vote(topic, member)
    return topic


def vote(topic: TopicRequest, *, phone: str) -> bool:
    """Count her vote once; True only when a new vote was recorded (never shown to her)."""
    member = _member(topic.centre_id, phone)
    if member is None:
        return False
    try:
        programme_topics.vote(topic, member)
    except Conflict:
        return False  # she voted before, or voting has just closed
    return True


def review_topic(topic: TopicRequest, *, publish: bool, actor: User | None = None) -> TopicProposal:
    """Show a proposed topic on the public site, or decline it (the topic is closed)."""
    with transaction.atomic():
        proposal = TopicProposal.objects.select_for_update().filter(topic=topic).first()
        if proposal is None:
            raise Conflict(_("This topic was not proposed on the public site."))
        if proposal.reviewed_at is not None:
            raise Conflict(_("This topic has already been reviewed."))
        proposal.reviewed_at = timezone.now()
        proposal.reviewed_by = actor
        proposal.published = publish
        proposal.save()
        if not publish and topic.status == TopicRequest.Status.OPEN:
            programme_topics.set_topic_status(topic, status=TopicRequest.Status.CLOSED, actor=actor)
        audit.record(
            AuditEntry.Action.UPDATE,
            proposal,
            fields=["published", "reviewed_at"],
            details={"topic": topic.pk, "published": publish},
            actor=actor,
        )
    return proposal
