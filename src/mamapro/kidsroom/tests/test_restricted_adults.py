"""A child's restricted adult, as the tutor meets him: warned about on the board by first name,
initial and relation (never his surname, phone or court note), recognised at the door however
his name is typed, and refused — the refusal naming him no more than the warning does. A
restricted adult always wins over an authorised one of the same name. Every refusal re-reads
the database: no check-out written, the alert row there."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from mamapro.centres.models import Membership
from mamapro.conftest import build_aliased_child, build_aliased_survivor
from mamapro.core.permissions import Role
from mamapro.kidsroom import names
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert, Booking, Rules
from mamapro.people import services as people
from mamapro.people.models import Child, ChildAdult
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db


@pytest.fixture
def now_session(make_session):
    now = timezone.now()
    return make_session(now - dt.timedelta(minutes=30), now + dt.timedelta(hours=2))


@pytest.fixture
def booked(kids_run, now_session, on_shift, child, personas) -> Booking:
    """The survivor's son (his father Ерлан Қасымов is restricted), booked and checked in."""
    now = timezone.now()
    on_shift(1, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))
    seats.enroll(kids_run, child.parent, "paid")
    booking = kids.book(now_session, child)
    kids.check_in(now_session, child, brought_by="Әсел Қасымова")
    return booking


@pytest.fixture
def coordinator_on_call(almaty, personas) -> None:
    coordinator = personas["coordinator"]
    coordinator.first_name, coordinator.last_name = "Гүлмира", "Ахметова"
    coordinator.save(update_fields=["first_name", "last_name"])
    Rules.objects.create(centre=almaty, coordinator_phone="+77015550111")


def _api(client, token_for, user, path: str, body: dict):
    return client.post(
        "/api/v1" + path,
        data=json.dumps(body),
        content_type="application/json",
        headers=token_for(user),
    )


def _refused(booking: Booking, alerts_before: int) -> Alert:
    """Nothing handed over, and one more alert row: read back from the database."""
    again = Booking.objects.get(pk=booking.pk)
    assert again.checked_out_at is None
    assert again.collected_by_id is None
    assert Alert.objects.count() == alerts_before + 1
    alert = Alert.objects.order_by("-id").first()
    assert alert is not None
    return alert


# --- Finding 20: the tutor is warned, in words she acts on ------------------------------------


def test_the_tutors_board_warns_by_first_name_initial_and_relation(
    client, personas, booked, restricted_adult, coordinator_on_call
) -> None:
    restricted_adult.phone = "+77019990001"
    restricted_adult.save(update_fields=["phone"])
    client.force_login(personas["tutor"])
    page = client.get(reverse("kidsroom:board")).content.decode()
    assert "Do not give Әлихан to: Ерлан Қ. (father)." in page
    assert (
        "If this person comes: keep the child inside, call the coordinator Гүлмира Ахметова, "
        "police 102." in page
    )
    assert 'href="tel:+77015550111"' in page
    # Reading that he exists is a sensitive read, in the audit log.
    from mamapro.core.models import AuditEntry

    read = AuditEntry.objects.filter(action="read_sensitive", object_id=str(booked.child_id)).last()
    assert read is not None
    assert "restricted_adults" in read.fields
    # Not his surname, his phone or the court note; and he is never a choice.
    for secret in ("Ерлан Қасымов", "+77019990001", "Protective order", f'"{restricted_adult.pk}"'):
        assert secret not in page, secret


def test_the_care_team_sees_his_full_name_in_the_warning(client, personas, booked) -> None:
    client.force_login(personas["coordinator"])
    page = client.get(reverse("kidsroom:board")).content.decode()
    assert "Do not give Әлихан to: Ерлан Қасымов (father)." in page
    # No coordinator recorded and no phone: still told to call the coordinator.
    assert "If this person comes: keep the child inside, call the coordinator" in page


def test_a_child_without_a_restricted_adult_has_no_warning(
    client, personas, kids_run, now_session, on_shift, make_mother
) -> None:
    now = timezone.now()
    on_shift(1, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))
    kids.book(now_session, make_mother())
    client.force_login(personas["tutor"])
    page = client.get(reverse("kidsroom:board")).content.decode()
    assert "Do not give" not in page
    assert "kr-warning" not in page


def test_a_child_of_an_aliased_mother_by_given_name_her_mother_by_her_alias(
    client, personas, almaty, kids_run, now_session, on_shift
) -> None:
    mother = build_aliased_survivor(almaty)
    daughter = build_aliased_child(mother)
    now = timezone.now()
    on_shift(1, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))
    seats.enroll(kids_run, mother, "paid")
    booking = kids.book(now_session, daughter)
    client.force_login(personas["tutor"])
    page = client.get(reverse("kidsroom:board")).content.decode()
    assert "Do not give Айсұлу to: Талғат Д. (father)." in page
    assert "Гүлнар · Mother" in page  # her alias, not her name, among the adults offered
    mother_adult = daughter.adults.get(relation="mother")
    response = client.post(
        reverse("kidsroom:check_in", args=[booking.pk]),
        {"brought_by": mother_adult.pk},
        follow=True,
    )
    page = response.content.decode()
    assert "Айсұлу is checked in (brought by Гүлнар)." in page
    assert "here since" in page
    for secret in ("Сандуғаш", "Жанторина", "Дәулетбаев", "Решение суда"):
        assert secret not in page, secret
    # The coordinator still sees who she is.
    client.force_login(personas["coordinator"])
    page = client.get(reverse("kidsroom:board")).content.decode()
    assert "brought by Сандуғаш Жанторина" in page


def test_short_names() -> None:
    assert names.short_name("Ерлан Қасымов") == "Ерлан Қ."
    assert names.short_name("  Ерлан   Серікұлы Қасымов ") == "Ерлан С."
    assert names.short_name("Ерлан") == "Ерлан"
    assert names.short_name("") == ""


# --- Finding 20: a name typed close to his still blocks ---------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "Ерлан Қасымов",
        "ерлан касымов",  # case and Kazakh letters typed on a Russian keyboard
        "  ЕРЛАН    ҚАСЫМОВ  ",  # extra spaces
        "Қасымов Ерлан",  # reversed order
        "Қасымов",  # surname only
        "Ерлан",  # first name only
        "Е. Қасымов",  # initial
        "Ерлан Қасымов-",  # a stray hyphen
        "Ерлан Касымоф",  # one letter off
        "Ерлан Қасымов Серікұлы",  # his name and a patronymic
        "Ер\u200bлан Қасымов",  # a zero-width space inside (found by an attack on the demo)
        "Ерлан\u202e Қасымов",  # a bidi override
    ],
)
def test_a_name_close_to_the_restricted_adults_blocks(
    booked, child, personas, restricted_adult, typed: str
) -> None:
    before = Alert.objects.count()
    with pytest.raises(kids.RestrictedAdult):
        kids.check_out(booked.session, child, adult_name=typed, actor=personas["tutor"])
    alert = _refused(booked, before)
    assert (alert.adult_id, alert.kind, alert.named) == (
        restricted_adult.pk,
        "check_out_blocked",
        typed.replace("\u200b", "").replace("\u202e", ""),
    )


@pytest.mark.parametrize("typed", ["Ро\u202eза", "Әсел\u200b Қасымова"])
def test_brought_by_with_a_hidden_character_is_refused_naming_the_field(
    client, token_for, personas, kids_run, session, on_shift, child, typed: str
) -> None:
    """Found by an attack on the demo: "someone else (name)" at check-in stored a bidi override
    that the boards then showed."""
    on_shift(1)
    seats.enroll(kids_run, child.parent, "paid")
    booking = kids.book(session, child)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        kids.check_in(session, child, brought_by=typed)
    assert "adult_name" in refused.value.message_dict
    again = Booking.objects.get(pk=booking.pk)
    assert (again.checked_in_at, again.brought_by) == (None, "")


@pytest.mark.parametrize("typed", ["Әсел Қасымова", "асел касымова", "Қасымова Әсел"])
def test_his_mothers_name_is_not_his(booked, child, typed: str) -> None:
    done = kids.check_out(booked.session, child, adult_name=typed)
    assert Booking.objects.get(pk=booked.pk).collected_by == child.adults.get(relation="mother")
    assert done.checked_out_at is not None
    assert not Alert.objects.exists()


def test_a_different_man_is_nobody_on_her_list(booked, child) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Nobody of that name"):
        kids.check_out(booked.session, child, adult_name="Болат Серіков")
    assert Booking.objects.get(pk=booked.pk).checked_out_at is None
    assert not Alert.objects.exists()


def test_brought_by_a_name_close_to_his_checks_in_and_alerts(
    kids_run, session, on_shift, child, restricted_adult
) -> None:
    from mamapro.kidsroom.tests.conftest import at

    on_shift(1)
    seats.enroll(kids_run, child.parent, "paid")
    kids.book(session, child)
    done = kids.check_in(session, child, brought_by="касымов ерлан", now=at(14, 30))
    assert Booking.objects.get(pk=done.pk).checked_in_at == at(14, 30)
    alert = Alert.objects.get()
    assert (alert.kind, alert.adult_id) == ("brought_by_restricted", restricted_adult.pk)


# --- Finding 22: the restricted one wins, whatever the order of the rows --------------------


@pytest.mark.parametrize("restricted_first", [True, False])
@pytest.mark.parametrize("typed", ["Серік Омаров", "омаров серік"])
def test_same_name_restricted_and_authorised_the_restricted_wins(
    booked, child, personas, restricted_first: bool, typed: str
) -> None:
    def add(authorised: bool) -> ChildAdult:
        return people.add_adult(
            child,
            data={
                "name": "Серік Омаров",
                "relation": "uncle" if authorised else "other",
                "authorised": authorised,
            },
        )

    if restricted_first:
        restricted, _authorised = add(False), add(True)
    else:
        _authorised, restricted = add(True), add(False)
    before = Alert.objects.count()
    with pytest.raises(kids.RestrictedAdult) as caught:
        kids.check_out(booked.session, child, adult_name=typed, actor=personas["tutor"])
    assert caught.value.adult == restricted
    assert _refused(booked, before).adult == restricted


@pytest.mark.parametrize("restricted_first", [True, False])
def test_choosing_the_authorised_namesake_from_the_list_is_refused_too(
    booked, child, personas, restricted_first: bool
) -> None:
    """The list offers "Серік О. · uncle" while the card warns about "Серік О. (other)": she
    cannot tell them apart at the door, so the check-out stops and the coordinator decides."""
    rows = [
        {"name": "Серік Омаров", "relation": "other", "authorised": False},
        {"name": "серік  омаров", "relation": "uncle", "authorised": True},
    ]
    made = [people.add_adult(child, data=r) for r in (rows if restricted_first else rows[::-1])]
    restricted = next(a for a in made if not a.authorised)
    uncle = next(a for a in made if a.authorised)
    before = Alert.objects.count()
    with pytest.raises(kids.RestrictedAdult) as caught:
        kids.check_out(booked.session, child, adult=uncle, actor=personas["tutor"])
    assert caught.value.adult == restricted
    assert _refused(booked, before).adult == restricted
    # Another authorised adult, of another name, still collects him.
    kids.check_out(booked.session, child, adult=child.adults.get(relation="mother"))


# --- Finding 13: the refusal does not teach the tutor his name -------------------------------


def test_web_refusal_of_a_forged_choice_names_him_as_the_warning_does(
    client, personas, booked, child, restricted_adult
) -> None:
    client.force_login(personas["tutor"])
    before = Alert.objects.count()
    response = client.post(
        reverse("kidsroom:check_out", args=[booked.pk]), {"collected_by": restricted_adult.pk}
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "Do not hand Әлихан to Ерлан Қ. (father)." in page
    assert 'role="alert"' in page
    for secret in ("Ерлан Қасымов", "Қасымов Е", "Protective order"):
        assert secret not in page, secret
    alert = _refused(booked, before)
    assert alert.adult == restricted_adult
    assert alert.named == "Ерлан Қасымов"  # the coordinator's alert keeps the full name


def test_api_refusal_by_id_and_by_name_names_him_as_the_warning_does(
    client, token_for, personas, booked, child, restricted_adult
) -> None:
    before = Alert.objects.count()
    body = {"child": child.pk, "session": booked.session_id, "adult": restricted_adult.pk}
    by_id = _api(client, token_for, personas["tutor"], "/kidsroom/checkouts", body)
    assert by_id.status_code == 403
    _refused(booked, before)
    by_name = _api(
        client,
        token_for,
        personas["tutor"],
        "/kidsroom/checkouts",
        dict(body, adult=None, adult_name="Қасымов"),
    )
    assert by_name.status_code == 403
    _refused(booked, before + 1)
    for response in (by_id, by_name):
        detail = response.json()["detail"]
        assert "the adult you chose or named (Ерлан Қ., father)" in detail
        assert "Ерлан Қасымов" not in response.content.decode()


def test_a_typed_name_close_to_his_on_the_web_form_is_blocked(
    client, personas, booked, child, restricted_adult
) -> None:
    client.force_login(personas["tutor"])
    before = Alert.objects.count()
    response = client.post(
        reverse("kidsroom:check_out", args=[booked.pk]), {"collected_by_name": "Қасымов Ерлан"}
    )
    assert response.status_code == 403
    assert _refused(booked, before).adult == restricted_adult


def test_the_tutor_chooses_only_among_authorised_adults(
    client, personas, booked, child: Child, restricted_adult
) -> None:
    client.force_login(personas["tutor"])
    page = client.get(reverse("kidsroom:board")).content.decode()
    mother = child.adults.get(relation="mother")
    assert f'<option value="{mother.pk}">' in page
    assert f'<option value="{restricted_adult.pk}">' not in page


def test_the_tutor_phone_is_checked(client, personas, almaty) -> None:
    client.force_login(personas["coordinator"])
    response = client.post(
        reverse("kidsroom:rules", args=[almaty.pk]),
        {"children_per_tutor": 4, "high_support_per_tutor": 2, "coordinator_phone": "12"},
    )
    assert response.status_code == 302
    told = client.get(reverse("kidsroom:shifts")).content.decode()
    assert "phone for tutors to call: " in told
    assert not Rules.objects.filter(centre=almaty).exclude(coordinator_phone="").exists()
    client.post(
        reverse("kidsroom:rules", args=[almaty.pk]),
        {
            "children_per_tutor": 4,
            "high_support_per_tutor": 2,
            "coordinator_phone": "8 701 555 01 11",
        },
    )
    assert Rules.objects.get(centre=almaty).coordinator_phone == "+77015550111"


def test_only_the_centres_coordinators_are_named(almaty, astana, personas, make_user) -> None:
    from mamapro.kidsroom.views import coordinator_contacts

    other = make_user("astana-coord", Role.COORDINATOR, astana, first_name="Жібек")
    gone = make_user("gone", Role.COORDINATOR, almaty, first_name="Бұрынғы", is_active=False)
    assert Membership.objects.filter(user__in=[other, gone]).count() == 2
    personas["coordinator"].first_name = "Гүлмира"
    personas["coordinator"].save(update_fields=["first_name"])
    contacts = coordinator_contacts({almaty.pk})
    assert contacts == {almaty.pk: ("Гүлмира", "")}


# --- Finding 21: the answer lands on the card acted on, announced ----------------------------


def _card(page: str, booking: Booking) -> str:
    start = page.index(f'id="child-{booking.pk}"')
    return page[start : page.index("</li>", start)]


def test_the_check_in_message_is_on_the_childs_card_not_at_the_top(
    client, personas, kids_run, now_session, on_shift, child
) -> None:
    now = timezone.now()
    on_shift(1, now - dt.timedelta(hours=2), now + dt.timedelta(hours=4))
    seats.enroll(kids_run, child.parent, "paid")
    booking = kids.book(now_session, child)
    client.force_login(personas["tutor"])
    response = client.post(
        reverse("kidsroom:check_in", args=[booking.pk]), {"brought_by_name": "Қасымов Ерлан"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#child-{booking.pk}")
    page = client.get(response["Location"]).content.decode()
    card = _card(page, booking)
    assert (
        '<p class="msg error kr-feedback" role="alert">Ерлан Қ. must never receive Әлихан.' in card
    )
    assert 'class="messages"' not in page
    assert "Ерлан Қасымов" not in page  # the tutor typed it; the board still shows him short
    assert Booking.objects.get(pk=booking.pk).checked_in_at is not None
    assert Alert.objects.get().kind == "brought_by_restricted"
    # Shown once: the next visit to the board has no message.
    assert "kr-feedback" not in client.get(reverse("kidsroom:board")).content.decode()


def test_a_refused_check_out_is_told_on_the_childs_card(client, personas, booked) -> None:
    client.force_login(personas["tutor"])
    response = client.post(
        reverse("kidsroom:check_out", args=[booked.pk]),
        {"collected_by_name": "Болат Серіков"},
        follow=True,
    )
    card = _card(response.content.decode(), booked)
    assert '<p class="msg error kr-feedback" role="alert">Nobody of that name' in card
    assert Booking.objects.get(pk=booked.pk).checked_out_at is None
    assert not Alert.objects.exists()
