"""Staff pages: what each role sees, forms with field-level messages, pinned query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from mamapro.core.models import AuditEntry
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db

SENSITIVE_TEXT = [
    "Survivor of domestic violence",
    "900215450007",
    "мкр. 5",
    "Только SMS",
    "Protective order",
]


def _page(client: Client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["trainer", "tutor", "psychologist", "manager"])
def test_roles_without_the_right_never_see_sensitive_data(
    client, personas, child, role, in_their_work
) -> None:
    html = _page(
        client, personas[role], reverse("people:participant_detail", args=[child.parent_id])
    )
    assert "Қасымова" in html
    for text in SENSITIVE_TEXT:
        assert text not in html, f"{role} sees {text!r}"
    assert not AuditEntry.objects.filter(
        action="read_sensitive", object_type="people.participant"
    ).exists()


def test_trainer_sees_no_phone_and_no_children(client, personas, child, in_their_work) -> None:
    html = _page(
        client, personas["trainer"], reverse("people:participant_detail", args=[child.parent_id])
    )
    assert child.parent.phone not in html
    assert "Әлихан" not in html


def test_tutor_sees_the_needs_card_but_not_the_restricted_father(
    client, personas, child, in_their_work
) -> None:
    html = _page(client, personas["tutor"], reverse("people:child_detail", args=[child.pk]))
    assert "Non-verbal" in html
    assert "Gluten-free" in html
    assert "Депакин" in html
    assert "Ерлан" not in html
    assert "Әсел Қасымова" in html, "the authorised mother is on the list"
    read = AuditEntry.objects.get(action="read_sensitive")
    assert read.actor == personas["tutor"]
    assert "medication" in read.fields
    assert "restricted_adults" not in read.fields


@pytest.mark.parametrize("role", ["coordinator", "director"])
def test_care_team_sees_everything_and_the_read_is_audited(client, personas, child, role) -> None:
    html = _page(
        client, personas[role], reverse("people:participant_detail", args=[child.parent_id])
    )
    for text in ["Survivor of domestic violence", "900215450007", "мкр. 5", "Ерлан Қасымов"]:
        assert text in html, f"{role} misses {text!r}"
    reads = AuditEntry.objects.filter(action="read_sensitive", actor=personas[role])
    assert {(r.object_type, r.object_id) for r in reads} == {
        ("people.participant", str(child.parent_id)),
        ("people.child", str(child.pk)),
    }


def test_hidden_address_is_not_shown_even_to_the_coordinator(client, personas, survivor) -> None:
    from mamapro.people import services

    services.update_participant(survivor, data={"address_hidden": True})
    html = _page(
        client, personas["coordinator"], reverse("people:participant_detail", args=[survivor.pk])
    )
    assert "мкр. 5" not in html
    assert "hidden at her request" in html


def test_create_form_shows_field_messages_and_writes_nothing(client, personas) -> None:
    client.force_login(personas["coordinator"])
    response = client.post(
        reverse("people:participant_create"),
        {
            "given_name": "Әлия",
            "family_name": "",
            "phone": "12345",
            "iin": "1",
            "language": "kk",
            "status": "applicant",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_phone_error"' in html
    assert "10 digits after +7" in html
    assert 'id="id_iin_error"' in html
    assert 'id="id_family_name_error"' in html
    assert Participant.objects.count() == 0


def test_create_form_registers_her(client, personas, almaty) -> None:
    client.force_login(personas["coordinator"])
    response = client.post(
        reverse("people:participant_create"),
        {
            "centre": almaty.pk,
            "given_name": "Әлия",
            "family_name": "Қожахметова",
            "phone": "8 701 555 12 34",
            "language": "kk",
            "status": "applicant",
            "circumstances": ["domestic_violence"],
            "contact_channels": ["sms"],
        },
    )
    p = Participant.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:participant_detail", args=[p.pk])
    assert p.phone == "+77015551234"
    assert p.centre == almaty
    assert p.contact_channels == ["sms"]


def test_outsider_cannot_create_at_another_centre(client, personas, almaty) -> None:
    client.force_login(personas["outsider"])
    client.post(
        reverse("people:participant_create"),
        {
            "centre": almaty.pk,
            "given_name": "A",
            "family_name": "B",
            "phone": "87015551234",
            "language": "ru",
            "status": "applicant",
        },
    )
    assert not Participant.objects.filter(centre=almaty).exists()


def test_only_the_care_team_may_verify_eligibility(client, personas, survivor) -> None:
    client.force_login(personas["coordinator"])
    form = {
        "given_name": survivor.given_name,
        "family_name": survivor.family_name,
        "phone": survivor.phone,
        "language": "kk",
        "status": "resident",
        "eligibility_verified": "on",
    }
    assert (
        client.post(reverse("people:participant_edit", args=[survivor.pk]), form).status_code == 302
    )
    survivor.refresh_from_db()
    assert survivor.eligibility_verified
    assert survivor.eligibility_verified_by == personas["coordinator"]


def test_list_search_and_htmx_partial(client, personas, make_participant) -> None:
    make_participant(given_name="Әлия", family_name="Қожахметова")
    make_participant(given_name="Анна", family_name="Ким")
    client.force_login(personas["coordinator"])
    html = client.get(reverse("people:participant_list"), {"q": "ҚОЖАХ"}).content.decode()
    assert "Қожахметова" in html
    assert "Ким" not in html
    partial = client.get(
        reverse("people:participant_list"),
        {"q": "ким"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    ).content.decode()
    assert "<html" not in partial
    assert "Ким" in partial


def test_list_paginates(client, personas, make_participant, settings) -> None:
    for i in range(settings.PAGE_SIZE + 3):
        make_participant(family_name=f"Оспанова{i:02d}")
    client.force_login(personas["coordinator"])
    first = client.get(reverse("people:participant_list")).content.decode()
    second = client.get(reverse("people:participant_list"), {"page": 2}).content.decode()
    assert "Оспанова00" in first
    assert "Оспанова25" not in first
    assert "Оспанова27" in second


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_is_constant(
    client, personas, make_participant, django_assert_num_queries, rows
) -> None:
    for i in range(rows):
        make_participant(family_name=f"Ахметова{i:02d}")
    client.force_login(personas["coordinator"])
    # session, user, memberships, centre switcher, count, page (children counted in the same query)
    with django_assert_num_queries(6):
        response = client.get(reverse("people:participant_list"))
    assert response.status_code == 200


@pytest.mark.parametrize("children", [1, 3])
def test_detail_query_count_is_constant(
    client, personas, survivor, django_assert_num_queries, children
) -> None:
    import datetime as dt

    from mamapro.people import services

    for i in range(children):
        kid = services.add_child(
            survivor, data={"given_name": f"Бала{i}", "birth_date": dt.date(2020, 1, 1)}
        )
        services.add_adult(kid, data={"name": "Әже", "relation": "grandmother"})
    client.force_login(personas["coordinator"])
    # session, user, memberships, participant, circumstances, consents, children, adults,
    # audit head lock + insert + head update, centre switcher, the kids' room's incidents panel,
    # the messages panel (her deliveries) and the Telegram panel (her newest link)
    with django_assert_num_queries(15):
        assert (
            client.get(reverse("people:participant_detail", args=[survivor.pk])).status_code == 200
        )


def test_language_choice_is_remembered_for_the_user(client, personas) -> None:
    user = personas["coordinator"]
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "kk", "next": "/participants/"})
    assert response.status_code == 302
    assert response["Location"] == "/participants/"
    user.refresh_from_db()
    assert user.language == "kk"
    other = Client()
    other.force_login(user)
    html = other.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="kk"' in html


def test_language_switch_refuses_an_offsite_next(client) -> None:
    response = client.post(
        reverse("set_language"), {"language": "ru", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_centre_switcher_narrows_the_list(client, personas, make_participant, astana) -> None:
    make_participant(family_name="Алматинская")
    make_participant(astana, family_name="Астанинская")
    client.force_login(personas["director"])
    html = client.get(reverse("people:participant_list")).content.decode()
    assert "Алматинская" in html
    assert "Астанинская" in html
    client.post(reverse("switch_centre"), {"centre": astana.pk, "next": "/participants/"})
    html = client.get(reverse("people:participant_list")).content.decode()
    assert "Алматинская" not in html
    assert "Астанинская" in html


def test_centre_switcher_ignores_a_centre_she_does_not_belong_to(
    client, personas, make_participant, astana
) -> None:
    make_participant(family_name="Алматинская")
    client.force_login(personas["coordinator"])
    client.post(reverse("switch_centre"), {"centre": astana.pk})
    html = client.get(reverse("people:participant_list")).content.decode()
    assert "Алматинская" in html


def test_tutor_never_sees_the_mothers_phone_on_the_adults_list(
    client, personas, child, in_their_work
) -> None:
    for url in (
        reverse("people:child_detail", args=[child.pk]),
        reverse("people:participant_detail", args=[child.parent_id]),
    ):
        html = _page(client, personas["tutor"], url)
        assert child.parent.phone not in html, url


def test_trainer_list_shows_no_children_counts(client, personas, child, in_their_work) -> None:
    html = _page(client, personas["trainer"], reverse("people:participant_list"))
    assert "Қасымова" in html
    assert "1 child" not in html
    html = _page(client, personas["coordinator"], reverse("people:participant_list"))
    assert "1 child" in html


def test_child_age_and_kazakh_dates(client, personas, child) -> None:
    from mamapro.core.templatetags.mamapro import age

    client.force_login(personas["coordinator"])
    client.post(reverse("set_language"), {"language": "kk"})
    html = client.get(reverse("people:child_detail", args=[child.pk])).content.decode()
    assert "2019 ж." in html, "Kazakh date format: day month year ж."
    assert "жас" in html
    assert "лет" not in html, "no Russian fallback in the Kazakh page"
    assert age(None) == ""
