"""The topics service: proposals and votes, one vote each, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry
from mamapro.programs.models import TopicVote
from mamapro.programs.services import topics

pytestmark = pytest.mark.django_db


def test_propose_strips_and_audits(almaty, survivor, personas) -> None:
    topic = topics.propose_topic(
        almaty,
        title="  Бухгалтерия  ",
        details=" 1С ",
        proposed_by=survivor,
        actor=personas["comms"],
    )
    assert (topic.title, topic.details, topic.status) == ("Бухгалтерия", "1С", "open")
    entry = AuditEntry.objects.get(object_type="programs.topicrequest")
    assert (entry.action, entry.actor, entry.centre_id) == ("create", personas["comms"], almaty.pk)
    assert "proposed_by" in entry.fields


def test_propose_names_bad_fields(almaty, astana, make_participant) -> None:
    elsewhere = make_participant(astana, phone="+77015559997")
    with pytest.raises(ValidationError) as caught:
        topics.propose_topic(almaty, title="   ", proposed_by=elsewhere)
    assert set(caught.value.message_dict) == {"title", "proposed_by"}
    with pytest.raises(ValidationError) as caught:
        topics.propose_topic(almaty, title="x" * 201)
    assert set(caught.value.message_dict) == {"title"}


def test_one_vote_each(almaty, survivor, personas) -> None:
    topic = topics.propose_topic(almaty, title="Excel")
    ballot = topics.vote(topic, survivor, actor=personas["coordinator"])
    assert (ballot.centre_id, ballot.participant_id) == (almaty.pk, survivor.pk)
    with pytest.raises(Conflict):
        topics.vote(topic, survivor)
    assert TopicVote.objects.count() == 1
    entry = AuditEntry.objects.get(object_type="programs.topicvote")
    assert entry.details == {"topic": topic.pk}


def test_a_vote_needs_a_woman_of_the_topics_centre(almaty, astana, make_participant) -> None:
    topic = topics.propose_topic(astana, title="Word")
    with pytest.raises(ValidationError) as caught:
        topics.vote(topic, make_participant(almaty))
    assert set(caught.value.message_dict) == {"participant"}


def test_a_closed_topic_takes_no_votes(almaty, survivor) -> None:
    topic = topics.propose_topic(almaty, title="Excel")
    topics.set_topic_status(topic, status="closed")
    with pytest.raises(Conflict):
        topics.vote(topic, survivor)


def test_scheduling_names_the_workshop_of_the_same_centre(almaty, astana, make_run) -> None:
    topic = topics.propose_topic(almaty, title="Налоги")
    with pytest.raises(ValidationError) as caught:
        topics.set_topic_status(topic, status="scheduled", workshop=make_run(astana))
    assert set(caught.value.message_dict) == {"workshop"}
    workshop = make_run()
    topic = topics.set_topic_status(topic, status="scheduled", workshop=workshop)
    assert (topic.status, topic.workshop_id) == ("scheduled", workshop.pk)
    entry = AuditEntry.objects.filter(object_type="programs.topicrequest", action="update").get()
    assert set(entry.fields) == {"status", "workshop"}
    # Setting the same again writes nothing.
    topics.set_topic_status(topic, status="scheduled")
    assert (
        AuditEntry.objects.filter(object_type="programs.topicrequest", action="update").count() == 1
    )
