"""Integers past what the database holds, in any path or filter of the people pages and API,
answer 404 or 422 naming the field, never 500 (issue 9, finding 14)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from mamapro.people.models import ChildAdult

pytestmark = pytest.mark.django_db

HUGE = [2**63, -(2**63) - 1, 10**30]


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/participants/{n}"),
        ("PATCH", "/participants/{n}"),
        ("GET", "/children/{n}"),
        ("PATCH", "/children/{n}"),
        ("GET", "/children/{n}/adults"),
        ("POST", "/children/{n}/adults"),
        ("PATCH", "/adults/{n}"),
        ("DELETE", "/adults/{n}"),
    ],
)
def test_huge_ids_in_api_paths(
    client: Client, token_for, personas, child, method, path, number
) -> None:
    body = {"name": "Күлпаш", "relation": "grandmother"} if method == "POST" else {}
    response = client.generic(
        method,
        "/api/v1" + path.format(n=number),
        data=json.dumps(body),
        content_type="application/json",
        headers=token_for(personas["director"]),
    )
    assert response.status_code in {404, 422}, response.content
    if response.status_code == 422:
        assert response.json()["errors"][0]["field"]
    assert ChildAdult.objects.count() == 2, "nothing was written"


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/participants", "centre"),
        ("/participants", "offset"),
        ("/participants", "limit"),
        ("/children", "parent"),
        ("/children", "offset"),
    ],
)
def test_huge_numbers_in_api_filters(
    client: Client, token_for, personas, child, path, param, number
) -> None:
    response = client.get(
        "/api/v1" + path, {param: str(number)}, headers=token_for(personas["director"])
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == param


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_in_api_bodies(client: Client, token_for, personas, child, number) -> None:
    for path, body, field in (
        (
            "/participants",
            {"centre": number, "given_name": "А", "family_name": "Б", "phone": "87011112233"},
            "centre",
        ),
        ("/children", {"parent": number, "given_name": "А", "birth_date": "2020-01-01"}, "parent"),
    ):
        response = client.post(
            "/api/v1" + path,
            json.dumps(body),
            content_type="application/json",
            headers=token_for(personas["director"]),
        )
        assert response.status_code == 422, response.content
        assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("number", [2**63, 10**30])
@pytest.mark.parametrize(
    "name",
    [
        "people:participant_detail",
        "people:participant_edit",
        "people:participant_export",
        "people:participant_erase",
        "people:child_create",
        "people:child_detail",
        "people:child_edit",
        "people:child_photo",
        "people:adult_create",
        "people:adult_edit",
    ],
)
def test_huge_ids_in_page_urls(client: Client, personas, name, number) -> None:
    client.force_login(personas["director"])
    assert client.get(reverse(name, args=[number])).status_code == 404


@pytest.mark.parametrize("number", [2**63, 10**30])
@pytest.mark.parametrize(
    "name",
    [
        "people:consent_create",
        "people:consent_revoke",
        "people:child_photo_upload",
        "people:adult_delete",
    ],
)
def test_huge_ids_in_page_posts(client: Client, personas, name, number) -> None:
    client.force_login(personas["director"])
    assert client.post(reverse(name, args=[number])).status_code == 404


def test_a_huge_page_number_in_the_list(client: Client, personas, survivor) -> None:
    client.force_login(personas["director"])
    for number in HUGE:
        url = reverse("people:participant_list") + f"?page={number}"
        assert client.get(url).status_code == 200
