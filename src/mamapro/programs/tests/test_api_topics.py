"""Workshop topics through the API: ordered by votes, one vote each, who sees the proposer."""

from __future__ import annotations

import pytest

from mamapro.programs.models import TopicRequest, TopicVote
from mamapro.programs.services import topics
from mamapro.programs.tests.api_client import Api, error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, token_for) -> Api:
    return Api(client, token_for)


def test_propose_vote_and_read_by_votes(api, personas, almaty, make_women) -> None:
    women = make_women(3)
    api.as_(personas["coordinator"])
    quiet = api.ok("POST", "/topics", {"centre": almaty.pk, "title": "Вязание"}, expect=201)
    wanted = api.ok(
        "POST",
        "/topics",
        {
            "centre": almaty.pk,
            "title": "Налоги для ИП",
            "details": "Упрощёнка, 910 форма",
            "proposed_by": women[0].pk,
        },
        expect=201,
    )
    assert (wanted["votes"], wanted["status"], wanted["proposed_by"]) == (0, "open", women[0].pk)
    for woman in women:
        body = api.ok("POST", f"/topics/{wanted['id']}/vote", {"participant": woman.pk}, expect=201)
    assert body["votes"] == 3
    api.ok("POST", f"/topics/{quiet['id']}/vote", {"participant": women[0].pk}, expect=201)
    listed = api.ok("GET", "/topics")
    assert [(t["title"], t["votes"]) for t in listed["items"]] == [
        ("Налоги для ИП", 3),
        ("Вязание", 1),
    ]


def test_a_second_vote_is_409(api, personas, almaty, survivor) -> None:
    topic = topics.propose_topic(almaty, title="Продажи в Instagram")
    api.as_(personas["coordinator"])
    api.ok("POST", f"/topics/{topic.pk}/vote", {"participant": survivor.pk}, expect=201)
    again = api.call("POST", f"/topics/{topic.pk}/vote", {"participant": survivor.pk})
    assert again.status_code == 409
    assert "already voted" in again.json()["detail"]
    assert TopicVote.objects.count() == 1


def test_votes_need_a_woman_the_user_can_see_of_that_centre(
    api, personas, almaty, astana, survivor, make_participant
) -> None:
    topic = topics.propose_topic(almaty, title="Excel")
    # Communications gathers topics but never knows who the women are.
    comms = api.as_(personas["comms"]).call(
        "POST", f"/topics/{topic.pk}/vote", {"participant": survivor.pk}
    )
    assert error_fields(comms) == {"participant"}
    elsewhere = make_participant(astana, phone="+77015559998")
    response = api.as_(personas["director"]).call(
        "POST", f"/topics/{topic.pk}/vote", {"participant": elsewhere.pk}
    )
    assert error_fields(response) == {"participant"}
    assert not TopicVote.objects.exists()


def test_comms_reads_topics_without_who_proposed_them(api, personas, almaty, survivor) -> None:
    topics.propose_topic(almaty, title="Excel", proposed_by=survivor)
    body = api.as_(personas["comms"]).ok("GET", "/topics")
    assert "proposed_by" not in body["items"][0]
    created = api.ok("POST", "/topics", {"centre": almaty.pk, "title": "Фото для соцсетей"}, 201)
    assert created["votes"] == 0
    refused = api.call(
        "POST",
        "/topics",
        {"centre": almaty.pk, "title": "Стиль", "proposed_by": survivor.pk},
    )
    assert error_fields(refused) == {"proposed_by"}


def test_topics_are_scoped_to_the_users_centres(api, personas, almaty, astana) -> None:
    here = topics.propose_topic(almaty, title="Excel")
    topics.propose_topic(astana, title="Word")
    assert [t["id"] for t in api.as_(personas["comms"]).ok("GET", "/topics")["items"]] == [here.pk]
    outsider = api.as_(personas["outsider"])
    assert [t["title"] for t in outsider.ok("GET", "/topics")["items"]] == ["Word"]
    assert outsider.call("PATCH", f"/topics/{here.pk}", {"status": "closed"}).status_code == 404
    response = outsider.call("POST", "/topics", {"centre": almaty.pk, "title": "Excel"})
    assert error_fields(response) == {"centre"}
    assert api.as_(personas["trainer"]).call("GET", "/topics").status_code == 403


def test_schedule_and_close_a_topic(api, personas, almaty, make_run, survivor) -> None:
    topic = topics.propose_topic(almaty, title="Налоги")
    api.as_(personas["coordinator"])
    needs_run = api.call("PATCH", f"/topics/{topic.pk}", {"status": "scheduled"})
    assert error_fields(needs_run) == {"workshop"}
    workshop = make_run()
    body = api.ok("PATCH", f"/topics/{topic.pk}", {"status": "scheduled", "workshop": workshop.pk})
    assert (body["status"], body["workshop"]) == ("scheduled", workshop.pk)
    closed = api.call("POST", f"/topics/{topic.pk}/vote", {"participant": survivor.pk})
    assert closed.status_code == 409
    assert error_fields(api.call("PATCH", f"/topics/{topic.pk}", {"status": "done"})) == {"status"}
    assert (
        api.as_(personas["comms"])
        .call("PATCH", f"/topics/{topic.pk}", {"status": "closed"})
        .status_code
        == 403
    )


def test_topic_input_errors_name_each_field(api, personas, almaty) -> None:
    response = api.as_(personas["coordinator"]).call("POST", "/topics", {"title": ""})
    assert error_fields(response) == {"centre", "title"}
    assert not TopicRequest.objects.exists()


@pytest.mark.parametrize("rows", [2, 20])
def test_topic_list_query_count_is_constant(
    api, personas, almaty, make_women, django_assert_num_queries, rows
) -> None:
    women = make_women(2)
    for i in range(rows):
        topic = topics.propose_topic(almaty, title=f"Тема {i}", proposed_by=women[0])
        for woman in women[: i % 3]:
            topics.vote(topic, woman)
    api.as_(personas["coordinator"])
    api.ok("GET", "/runs")  # the token's first use stamps it; not counted below
    # token, memberships, page (votes counted), count
    with django_assert_num_queries(4):
        assert len(api.ok("GET", "/topics")["items"]) == rows
