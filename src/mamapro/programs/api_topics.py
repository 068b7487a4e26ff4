"""API for workshop topics and their votes, on the programmes router.

Reading and recording topics and votes: TOPICS_VIEW (coordinators, the director and
communications, who gathers requests from social media). A vote names the woman who cast it,
so recording one also needs the right to see her (PARTICIPANT_VIEW): for communications her
id is a 422 like any reference she cannot see. Scheduling or closing a topic is a programme
decision: PROGRAM_EDIT.
"""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status

from mamapro.centres.models import Centre
from mamapro.core import permissions as perms
from mamapro.core.api import Page, patch_data
from mamapro.people.models import Participant

# The programmes router: these operations join api.py's (see the end of that module).
from mamapro.programs.api import Id, Window, router, window
from mamapro.programs.models import Run, TopicRequest
from mamapro.programs.services import topics

TopicStatus = Literal["open", "scheduled", "closed"]


class TopicOut(Schema):
    id: int
    centre: int
    title: str
    details: str
    status: TopicStatus
    votes: int
    workshop: int | None
    created_at: dt.datetime
    # Who proposed it: for roles that may see her name only.
    proposed_by: int | None = None


class TopicIn(Schema):
    centre: Id
    title: str = Field(..., min_length=1, max_length=200)
    details: str = Field("", max_length=5000)
    proposed_by: Id | None = Field(None, description="the participant who asked for it")


class TopicPatch(Schema):
    status: TopicStatus | None = None
    workshop: Id | None = Field(None, description="the run that answered the request")


class VoteIn(Schema):
    participant: Id


class TopicFilters(Window):
    centre: Id | None = None
    status: TopicStatus | None = None


def _topics() -> QuerySet[TopicRequest]:
    return TopicRequest.objects.annotate(votes_count=Count("votes")).order_by(
        "-votes_count", "-created_at", "-id"
    )


def _respond(request: HttpRequest, items: list[TopicRequest]) -> list[dict[str, Any]]:
    me = perms.principal(request.user)
    out = []
    for topic in items:
        row = {
            "id": topic.pk,
            "centre": topic.centre_id,
            "title": topic.title,
            "details": topic.details,
            "status": topic.status,
            "votes": topic.votes_count,  # type: ignore[attr-defined]
            "workshop": topic.workshop_id,
            "created_at": topic.created_at,
        }
        if me.can(perms.PARTICIPANT_VIEW, topic.centre_id):
            row["proposed_by"] = topic.proposed_by_id
        out.append(row)
    return out


def _respond_one(request: HttpRequest, topic_id: int) -> dict[str, Any]:
    return _respond(request, [_topics().get(pk=topic_id)])[0]


def _participant(request: HttpRequest, pk: int, field: str) -> Participant:
    found = (
        perms.scope(Participant.objects.all(), request.user, perms.PARTICIPANT_VIEW)
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise ValidationError({field: _("No such participant among yours.")})
    return found


@router.get("/topics", response=Page[TopicOut], exclude_unset=True)
@perms.rule(perms.TOPICS_VIEW)
def list_topics(request: HttpRequest, filters: Query[TopicFilters]) -> dict[str, Any]:
    """Most votes first."""
    qs = perms.scope(_topics(), request.user, perms.TOPICS_VIEW, only_centre=filters.centre)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return {"items": _respond(request, window(qs, filters)), "count": qs.count()}


@router.post("/topics", response={201: TopicOut}, exclude_unset=True)
@perms.rule(perms.TOPICS_VIEW)
def propose_topic(request: HttpRequest, payload: TopicIn) -> Status[dict[str, Any]]:
    centre = (
        perms.scope(Centre.objects.all(), request.user, perms.TOPICS_VIEW, centre_field="id")
        .filter(pk=payload.centre)
        .first()
    )
    if centre is None:
        raise ValidationError({"centre": _("No such centre among yours.")})
    proposed_by = None
    if payload.proposed_by is not None:
        proposed_by = _participant(request, payload.proposed_by, "proposed_by")
    topic = topics.propose_topic(
        centre,
        title=payload.title,
        details=payload.details,
        proposed_by=proposed_by,
        actor=perms.acting_user(request),
    )
    return Status(201, _respond_one(request, topic.pk))


@router.post("/topics/{topic_id}/vote", response={201: TopicOut}, exclude_unset=True)
@perms.rule(perms.TOPICS_VIEW)
def vote(request: HttpRequest, topic_id: int, payload: VoteIn) -> Status[dict[str, Any]]:
    """Her vote for the topic: one each (409 on a second); answers the topic with its votes."""
    topic = perms.get_for_user(
        TopicRequest.objects.all(), request.user, perms.TOPICS_VIEW, pk=topic_id
    )
    participant = _participant(request, payload.participant, "participant")
    topics.vote(topic, participant, actor=perms.acting_user(request))
    return Status(201, _respond_one(request, topic.pk))


@router.patch("/topics/{topic_id}", response=TopicOut, exclude_unset=True)
@perms.rule(perms.PROGRAM_EDIT)
def update_topic(request: HttpRequest, topic_id: int, payload: TopicPatch) -> dict[str, Any]:
    """Mark a topic scheduled (with the workshop run that answers it), closed, or open."""
    topic = perms.get_for_user(
        TopicRequest.objects.all(), request.user, perms.PROGRAM_EDIT, pk=topic_id
    )
    data = patch_data(payload, nullable=set(), blankable=set())
    workshop = None
    if data.get("workshop") is not None:
        workshop = Run.objects.filter(pk=data["workshop"], centre_id=topic.centre_id).first()
        if workshop is None:
            raise ValidationError({"workshop": _("Choose a run of the topic's centre.")})
    topics.set_topic_status(
        topic,
        status=data.get("status", topic.status),
        workshop=workshop,
        actor=perms.acting_user(request),
    )
    return _respond_one(request, topic.pk)
