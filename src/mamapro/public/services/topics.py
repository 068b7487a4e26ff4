"""Workshop topics from the public site: members propose and vote, staff review.

Identity is her phone, looked up at the topic's centre: a vote counts only for a woman
registered there, once per topic (the database's unique constraint decides under a race).
A phone nobody knows creates nothing lasting: no participant from a bare phone, and the
number is dropped when the tick has looked at it.

The visitor's answer never depends on the phone, nor does the work the request does: the
request only keeps the typed phone, encrypted, as a `PendingVote`; `mamapro programs tick`
(`count_pending_votes`) looks it up later, counts the vote for the member it belongs to (and
names her as a proposal's author), and drops it either way. Counted, already counted or
unknown look the same and take the same time; the public list shows no vote counts and is
not ordered by votes, and a proposal stays off the public list until staff review it.
Otherwise typing someone's phone here would tell whether she comes to the centre.
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
from mamapro.core.text import clean_name
from mamapro.people.models import Participant
from mamapro.people.validators import normalise_phone
from mamapro.programs.models import TopicRequest
from mamapro.programs.services import topics as programme_topics
from mamapro.public.models import PendingVote, TopicProposal


def _phone(phone: str) -> str:
    try:
        return normalise_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None


def _check_text(title: str, details: str) -> tuple[str, str]:
    details = (details or "").strip()
    errors = {}
    try:
        title = clean_name(title, _("Topic"))
    except ValidationError as exc:
        raise ValidationError({"title": exc.messages}) from None
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
    """A new topic, held for review; a member's proposal also counts as her vote (at the tick)."""
    title, details = _check_text(title, details)
    normal = _phone(phone)
    with transaction.atomic():
        # The programme's own path for topics (audited there); held here.
        topic = programme_topics.propose_topic(centre, title=title, details=details)
        TopicProposal.objects.create(topic=topic, centre=centre)
        PendingVote.objects.create(topic=topic, centre=centre, phone=normal, proposed=True)
    return topic


def vote(topic: TopicRequest, *, phone: str) -> None:
    """Keep the typed phone for the tick to count; nothing here depends on who it is."""
    PendingVote.objects.create(topic=topic, centre_id=topic.centre_id, phone=_phone(phone))


def count_pending_votes() -> int:
    """The tick: each pending vote counts once for the member with that phone at the topic's
    centre; every pending row is dropped, counted or not. Returns how many votes counted."""
    counted = 0
    for pending in PendingVote.objects.select_related("topic").order_by("id"):
        with transaction.atomic():
            member = Participant.objects.filter(
                centre_id=pending.centre_id, phone=pending.phone, erased_at__isnull=True
            ).first()
            if member is not None:
                topic = pending.topic
                if pending.proposed and topic.proposed_by_id is None:
                    TopicRequest.objects.filter(pk=topic.pk).update(proposed_by=member)
                    audit.record(
                        AuditEntry.Action.UPDATE,
                        topic,
                        fields=["proposed_by"],
                        details={"event": "proposal_author_found"},
                    )
                try:
                    programme_topics.vote(topic, member)
                except Conflict:
                    pass  # she voted before, or voting has closed
                else:
                    counted += 1
            pending.delete()
    return counted


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
