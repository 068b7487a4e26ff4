"""Realistic, repeatable demo data: two centres, every role, ~300 women and their children.

Deterministic (a fixed random seed) and idempotent: a second run finds everything by its
natural key (centre name, username, phone) and creates nothing new. All participant data goes
through the same services as the UI, so it is validated and audited the same way.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from mamapro.centres.models import Centre, Membership, Room
from mamapro.core import audit, two_factor
from mamapro.core.models import User
from mamapro.core.regions import Region
from mamapro.demo import messages as demo_messages
from mamapro.demo import names
from mamapro.demo import programs as demo_programs
from mamapro.demo.logins import DEMO_PASSWORD, LOGINS
from mamapro.people import services
from mamapro.people.models import (
    Circumstance,
    ContactChannel,
    Participant,
    with_circumstance,
)
from mamapro.people.validators import iin_check_digit

SEED = 20261123

CENTRES = {
    "Almaty": dict(
        name="Mama Pro Алматы",
        city="Алматы",
        region=Region.ALMATY_CITY,
        address="Алматы, Әуезов ауданы, Жандосов к-сі 58",
    ),
    "Astana": dict(
        name="Mama Pro Астана",
        city="Астана",
        region=Region.ASTANA,
        address="Астана, Сарыарқа ауданы, Сейфуллин к-сі 31",
    ),
}
ROOMS = [
    ("Аудитория 1", Room.Kind.CLASSROOM, 20),
    ("Компьютерный класс", Room.Kind.CLASSROOM, 12),
    ("Балалар бөлмесі", Room.Kind.KIDS_ROOM, 12),
    ("Кабинет психолога", Room.Kind.COUNSELLING, 3),
]
PARTICIPANTS_PER_CENTRE = {"Almaty": 180, "Astana": 120}


def _centres() -> dict[str, Centre]:
    centres = {}
    for key, fields in CENTRES.items():
        centre, _created = Centre.objects.get_or_create(name=fields["name"], defaults=fields)
        for room_name, kind, capacity in ROOMS:
            Room.objects.get_or_create(
                centre=centre, name=room_name, defaults={"kind": kind, "capacity": capacity}
            )
        centres[key] = centre
    return centres


def _logins(centres: dict[str, Centre]) -> None:
    for login in LOGINS:
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={
                "first_name": login.first_name,
                "last_name": login.last_name,
                "is_superuser": login.superuser,
                "is_staff": login.superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        where: list[Centre | None] = [centres[key] for key in login.centres] or [None]
        for centre in where:
            Membership.objects.get_or_create(
                user=user, centre=centre, defaults={"role": login.role}
            )
        # Roles that see sensitive data log in with a second step; the demo's device shows
        # its current code on that page, so the demo needs no phone.
        if two_factor.required(User.objects.get(pk=user.pk)):
            two_factor.demo_device(user)


def _phone(rng: random.Random) -> str:
    operator = rng.choice(["701", "702", "705", "707", "747", "771", "775", "777", "778"])
    return f"+7{operator}{rng.randrange(10**7):07d}"


def _iin(rng: random.Random, born: dt.date) -> str | None:
    century = "4" if born.year < 2000 else "6"  # women: even digit
    for _attempt in range(20):
        first = born.strftime("%y%m%d") + century + f"{rng.randrange(10**4):04d}"
        check = iin_check_digit(first)
        if check is not None:
            return first + str(check)
    return None


NEED_PROFILES = [
    # (support needs, support level, communication, diet, allergies, medication, notes)
    (["down_syndrome"], "standard", "limited", [], "", "", "Любит музыку и рисовать."),
    (
        ["autism"],
        "high",
        "non_verbal",
        ["gluten_free"],
        "",
        "",
        "PECS карточки в рюкзаке; шумные игры пугают — дайте наушники.",
    ),
    (["autism"], "standard", "verbal", [], "Орехи", "", "Нужно предупреждать о смене занятия."),
    ([], "standard", "verbal", ["gluten_free"], "", "", "Целиакия: только безглютеновый перекус."),
    (
        ["cerebral_palsy"],
        "high",
        "limited",
        [],
        "",
        "Баклофен утром (дома)",
        "Коляска, помощь при переходе.",
    ),
    (["speech_delay"], "standard", "limited", [], "", "", "Понимает казахский и русский."),
    (
        ["epilepsy"],
        "high",
        "verbal",
        ["sugar_free"],
        "",
        "Депакин; при приступе — положить на бок, звонить маме и 103",
        "Приступы редко, последний в марте.",
    ),
    (["adhd"], "standard", "verbal", ["lactose_free"], "Пенициллин", "", ""),
    ([], "standard", "verbal", [], "", "", ""),
    ([], "standard", "verbal", ["halal"], "Цитрусовые", "", ""),
    (
        ["down_syndrome"],
        "high",
        "non_verbal",
        ["gluten_free"],
        "",
        "",
        "Жестами: «пить», «туалет», «мама».",
    ),
]


@transaction.atomic
def load() -> dict[str, int]:
    """Create whatever part of the demo data is missing; return what was created."""
    with audit.acting_as(None, via="demo"):
        centres = _centres()
        _logins(centres)
        created = {"participants": 0, "children": 0, "runs": 0}
        existing = set(Participant.objects.values_list("centre_id", "phone"))
        today = timezone.localdate()
        for key, count in PARTICIPANTS_PER_CENTRE.items():
            centre = centres[key]
            for index in range(count):
                # One random stream per woman: she comes out the same on every run, whether or
                # not the others already exist.
                crng = random.Random(f"{SEED}-{key}-{index}")
                children = _participant(crng, centre, existing, today)
                if children is not None:
                    created["participants"] += 1
                    created["children"] += children
        created["runs"] = demo_programs.load(centres, random.Random(f"{SEED}-programs"))
        _counselling(centres["Almaty"])
        created["participants"] += demo_messages.load(centres)
    return created


def _participant(
    crng: random.Random, centre: Centre, existing: set[tuple[int, str]], today: dt.date
) -> int | None:
    kazakh = crng.random() < 0.65
    if kazakh:
        given = crng.choice(names.KAZAKH_GIVEN)
        family = crng.choice(names.KAZAKH_FAMILY)
        patronymic = crng.choice(names.KAZAKH_PATRONYMIC) if crng.random() < 0.5 else ""
        language = "kk" if crng.random() < 0.6 else "ru"
    else:
        given = crng.choice(names.RUSSIAN_GIVEN)
        family = crng.choice(names.RUSSIAN_FAMILY)
        patronymic = crng.choice(names.RUSSIAN_PATRONYMIC)
        language = "ru"
    phone = _phone(crng)
    born = dt.date(crng.randrange(1978, 2003), crng.randrange(1, 13), crng.randrange(1, 29))
    with_iin = crng.random() < 0.4
    has_special_child = crng.random() < 0.55
    survivor = crng.random() < 0.13
    stay_at_home = crng.random() < 0.35
    status = crng.choices(["applicant", "resident", "alumna"], weights=[25, 50, 25])[0]
    n_children = crng.choices([0, 1, 2, 3], weights=[15, 50, 28, 7])[0]
    if has_special_child:
        n_children = max(n_children, 1)
    channels = crng.sample(list(ContactChannel.values), k=crng.randrange(1, 3))
    if (centre.pk, phone) in existing:
        return None
    existing.add((centre.pk, phone))

    circumstances = []
    if has_special_child:
        circumstances.append(Circumstance.Kind.SPECIAL_NEEDS_CHILD)
    if stay_at_home:
        circumstances.append(Circumstance.Kind.STAY_AT_HOME)
    if survivor:
        circumstances.append(Circumstance.Kind.DOMESTIC_VIOLENCE)
    data: dict[str, object] = {
        "given_name": given,
        "family_name": family,
        "patronymic": patronymic,
        "latin_name": names.to_latin(f"{given} {family}") if crng.random() < 0.3 else "",
        "phone": phone,
        "language": language,
        "region": centre.region if crng.random() < 0.8 else crng.choice(list(Region.values)),
        "status": status,
        "iin": _iin(crng, born) if with_iin else None,
        "address": ""
        if survivor
        else f"{centre.city}, мкр. {crng.randrange(1, 12)}, д. {crng.randrange(1, 90)}",
        "contact_channels": ["sms"] if survivor else channels,
        "do_not_call": survivor and crng.random() < 0.6,
        "address_hidden": survivor,
        "safe_contact_note": "Писать только в будни 10:00–13:00, телефон проверяет муж."
        if survivor
        else "",
    }
    if survivor:
        data["safe_hours_from"] = dt.time(10, 0)
        data["safe_hours_to"] = dt.time(13, 0)
    elif crng.random() < 0.3:
        # Many women name convenient hours too, so safe hours do not single out survivors.
        data["safe_hours_from"] = dt.time(crng.choice([9, 10, 11]), 0)
        data["safe_hours_to"] = dt.time(crng.choice([17, 18, 19]), 0)
        data["do_not_call"] = crng.random() < 0.2
    participant = services.create_participant(
        centre=centre,
        data=data,
        circumstances=circumstances,
        eligibility_verified=bool(circumstances) and crng.random() < 0.8,
    )
    services.record_consent(participant, kind="data_processing", version="2026-1")
    if crng.random() < 0.3:
        services.record_consent(participant, kind="photos", version="2026-1")
    children = 0
    for child_index in range(n_children):
        special = has_special_child and child_index == 0
        profile = (
            crng.choice(NEED_PROFILES[:8] + NEED_PROFILES[10:])
            if special
            else crng.choice(NEED_PROFILES[8:10])
        )
        needs, level, communication, diet, allergies, medication, notes = profile
        age_days = crng.randrange(2 * 365, 11 * 365)
        child = services.add_child(
            participant,
            data={
                "given_name": crng.choice(
                    names.KAZAKH_CHILDREN if kazakh else names.RUSSIAN_CHILDREN
                ),
                "family_name": family if family.endswith(("ова", "ева", "ина")) else "",
                "birth_date": today - dt.timedelta(days=age_days),
                "support_level": level,
                "support_needs": needs,
                "communication": communication,
                "communication_notes": notes,
                "diet": diet,
                "allergies": allergies,
                "medication": medication,
            },
        )
        services.add_adult(
            child,
            data={
                "name": f"{given} {family}",
                "phone": phone,
                "relation": "mother",
                "authorised": True,
            },
        )
        if crng.random() < 0.5:
            services.add_adult(
                child,
                data={
                    "name": crng.choice(names.GRANDMOTHERS),
                    "phone": _phone(crng),
                    "relation": "grandmother",
                    "authorised": True,
                },
            )
        if survivor:
            services.add_adult(
                child,
                data={
                    "name": crng.choice(names.KAZAKH_MEN if kazakh else names.RUSSIAN_MEN),
                    "relation": "father",
                    "authorised": False,
                    "note": f"Защитное предписание, суд района, № {crng.randrange(100, 999)}/2026, "
                    "до 2027-06-30. При появлении — не отдавать ребёнка, "
                    "звонить 102 и координатору.",
                },
            )
        children += 1
    return children


def _counselling(centre: Centre) -> None:
    """A few of the psychologist's appointments at Almaty, one already held with a note."""
    from mamapro.counselling import services as counselling
    from mamapro.counselling.models import Appointment

    psychologist = User.objects.filter(username="psychologist").first()
    room = Room.objects.filter(centre=centre, kind=Room.Kind.COUNSELLING).first()
    if psychologist is None or Appointment.objects.exists():
        return
    clients = list(
        with_circumstance(Participant.objects.filter(centre=centre), "domestic_violence")
        .order_by("id")
        .distinct()[:4]
    )
    today = timezone.localdate()
    slots = [(-2, 11), (1, 10), (1, 12), (3, 15)]
    for client, (days, hour) in zip(clients, slots, strict=False):
        start = timezone.make_aware(
            dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour))
        )
        appointment = counselling.book(
            psychologist,
            client,
            start,
            start + dt.timedelta(minutes=50),
            room=room,
            now=start - dt.timedelta(days=1),
        )
        if days < 0:
            counselling.set_status(appointment, Appointment.Status.HELD)
            counselling.write_note(
                appointment,
                psychologist,
                "Первая встреча. Говорили о сне и о детях; договорились о плане безопасности.",
            )
