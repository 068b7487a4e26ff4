"""Shared fixtures: two centres, one persona per role, and people made through the services.

Personas follow the centre they belong to: `coordinator` works in Almaty, `outsider` is the
Astana coordinator (so every Almaty object must be a 404 for her).
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management.commands import flush
from django.db import connections
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from mamapro.centres.models import Centre, Membership, Room
from mamapro.core.catalogues import compile_stale
from mamapro.core.dbguard import audit_unlocked
from mamapro.core.models import ApiToken, User
from mamapro.core.permissions import Role
from mamapro.core.regions import Region
from mamapro.people import services
from mamapro.people.models import Child, ChildAdult, Participant

# Direct `pytest` runs get fresh catalogues too (`./mamapro test` compiles them before).
if compile_stale():
    gettext_module._translations.clear()  # type: ignore[attr-defined]
    trans_real._translations = {}  # type: ignore[attr-defined]

STAFF_ROLES = [r.value for r in Role]
# Personas: every role at Almaty (the director spans all centres), plus the Astana
# coordinator as the outsider to Almaty's data, and a signed-in account with no role.
PERSONAS = [*STAFF_ROLES, "outsider", "norole"]


@pytest.fixture(autouse=True, scope="session")
def _flush_may_empty_the_audit_log() -> Any:
    """Transactional tests end with a flush; the append-only triggers would refuse it."""
    original = flush.Command.handle

    def handle(self: flush.Command, **options: Any) -> Any:
        with audit_unlocked(options.get("database", "default")):
            return original(self, **options)

    flush.Command.handle = handle  # type: ignore[method-assign]
    yield
    flush.Command.handle = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Messages outside a request are compared in English; pages choose their own language."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _second_factor_done(monkeypatch: pytest.MonkeyPatch) -> None:
    """`client.force_login` stands for a finished log-in, second factor included; the steps
    themselves are tested in core/tests/test_two_factor.py and the browser tests."""
    from mamapro.core.two_factor import VERIFIED_KEY

    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        session = self.session
        session[VERIFIED_KEY] = "test"
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


def totp_code(user: Any) -> str:
    """The current code of the user's authenticator (a confirmed device is made if needed)."""
    from mamapro.core.models import TOTPDevice
    from mamapro.core.two_factor import current_code

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    device.last_t = -1  # a test may log in twice within one 30-second step
    device.save(update_fields=["last_t"])
    return current_code(device)


def log_in_with_browser(page: Any, base: str, user: Any, password: str) -> None:
    """The real log-in form, then the second step when her role needs it; lands on /staff/."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")
    if "/login/2fa/" in page.url:
        page.fill("#id_code", totp_code(user))
        page.click("main form button[type=submit]")
    expect(page).to_have_url(f"{base}/staff/")


def race(
    action: Callable[[Any], Any],
    items: list[Any],
    refused: type[BaseException] | tuple[type[BaseException], ...] = (),
) -> tuple[int, list[BaseException]]:
    """Run `action(item)` for every item at once, each on its own thread and database
    connection, released together by a barrier. Returns how many raised `refused` (an
    expected refusal) and every other exception."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(items))
    lock = threading.Lock()
    count = 0
    errors: list[BaseException] = []

    def work(item: Any) -> None:
        nonlocal count
        try:
            barrier.wait(timeout=20)
            action(item)
        except refused:
            with lock:
                count += 1
        except BaseException as exc:  # collected, asserted on by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return count, errors


# Builders: plain functions, so that a module-wide world (the permission table) can use them
# outside function-scoped fixtures.
def build_almaty() -> Centre:
    centre = Centre.objects.create(name="Mama Pro Алматы", city="Алматы", region=Region.ALMATY_CITY)
    Room.objects.create(centre=centre, name="Аудитория 1", kind=Room.Kind.CLASSROOM, capacity=20)
    return centre


def build_astana() -> Centre:
    return Centre.objects.create(name="Mama Pro Астана", city="Астана", region=Region.ASTANA)


def build_user(
    username: str, role: str | None = None, centre: Centre | None = None, **extra: Any
) -> User:
    user = User.objects.create_user(username=username, password="a-long-test-password", **extra)
    if role is not None:
        Membership.objects.create(
            user=user, role=role, centre=None if role == Role.DIRECTOR else centre
        )
    return user


def build_personas(almaty: Centre, astana: Centre) -> dict[str, User]:
    users = {role: build_user(role, role, almaty) for role in STAFF_ROLES}
    users["outsider"] = build_user("outsider", Role.COORDINATOR, astana)
    users["norole"] = build_user("norole")
    return users


def build_survivor(centre: Centre) -> Participant:
    """A DV survivor with an IIN, an address and a safe-contact note."""
    return services.create_participant(
        centre=centre,
        data={
            "given_name": "Әсел",
            "family_name": "Қасымова",
            "phone": "+77015550100",
            "language": "kk",
            "iin": "900215450007",
            "address": "Алматы, мкр. 5, д. 12",
            "safe_contact_note": "Только SMS по будням",
        },
        circumstances=("domestic_violence", "special_needs_child"),
    )


def build_child(mother: Participant) -> Child:
    """Her autistic, non-verbal son on a gluten-free diet; his father may never collect him."""
    kid = services.add_child(
        mother,
        data={
            "given_name": "Әлихан",
            "birth_date": dt.date(2019, 5, 4),
            "support_level": "high",
            "support_needs": ["autism"],
            "communication": "non_verbal",
            "diet": ["gluten_free"],
            "medication": "Депакин",
        },
    )
    services.add_adult(
        kid, data={"name": "Әсел Қасымова", "relation": "mother", "authorised": True}
    )
    services.add_adult(
        kid,
        data={
            "name": "Ерлан Қасымов",
            "relation": "father",
            "authorised": False,
            "note": "Protective order 123/2026",
        },
    )
    return kid


# An aliased survivor for the attack suite (core/tests/test_attack_*.py): every part of who she
# really is, how to reach her and where she lives is spelled so that it appears nowhere else in
# any world, so a page, an error, an option label or an export that carries it is a leak.
ALIASED_SURVIVOR: dict[str, Any] = {
    "given_name": "Сандуғаш",
    "family_name": "Жанторина",
    "patronymic": "Бақытжанқызы",
    "latin_name": "Zhantorina Sandugash",
    "alias": "Гүлнар",
    "phone": "+77089412763",
    "language": "kk",
    "address": "Алматы, ул. Жетісу 41, кв. 9",
    "address_hidden": True,
}
RESTRICTED_ADULT: dict[str, Any] = {
    "name": "Талғат Дәулетбаев",
    "relation": "father",
    "authorised": False,
    "note": "Решение суда 2-417/2026",
}


def build_aliased_survivor(centre: Centre) -> Participant:
    """A survivor hiding from her abuser: rosters show "Гүлнар", her address is hidden."""
    return services.create_participant(
        centre=centre, data=ALIASED_SURVIVOR, circumstances=("domestic_violence",)
    )


def build_aliased_child(mother: Participant) -> Child:
    """Her daughter (her family name left to the default), collected by her mother and never
    to be given to her father."""
    kid = services.add_child(
        mother, data={"given_name": "Айсұлу", "birth_date": dt.date(2020, 3, 9)}
    )
    services.add_adult(
        kid,
        data={
            "name": f"{ALIASED_SURVIVOR['given_name']} {ALIASED_SURVIVOR['family_name']}",
            "relation": "mother",
            "authorised": True,
        },
    )
    services.add_adult(kid, data=RESTRICTED_ADULT)
    return kid


@pytest.fixture
def almaty(db: Any) -> Centre:
    return build_almaty()


@pytest.fixture
def astana(db: Any) -> Centre:
    return build_astana()


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    return build_user


@pytest.fixture
def personas(almaty: Centre, astana: Centre) -> dict[str, User]:
    return build_personas(almaty, astana)


@pytest.fixture
def client() -> Client:
    """Pages in English unless a test (or the user's saved language) says otherwise."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    def do(user: User) -> Client:
        client.force_login(user)
        return client

    return do


@pytest.fixture
def token_for() -> Callable[[User], dict[str, str]]:
    def make(user: User) -> dict[str, str]:
        _token, raw = ApiToken.issue(user)
        # Messages are compared in English; without the header the API answers in Russian.
        return {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}

    return make


@pytest.fixture
def make_participant(almaty: Centre) -> Callable[..., Participant]:
    counter = iter(range(1000, 9999))

    def make(
        centre: Centre | None = None, *, circumstances: tuple[str, ...] = (), **data: Any
    ) -> Participant:
        fields = {
            "given_name": "Айгүл",
            "family_name": "Оспанова",
            "phone": f"+7701555{next(counter):04d}",
            "language": "kk",
            **data,
        }
        return services.create_participant(
            centre=centre or almaty, data=fields, circumstances=circumstances
        )

    return make


@pytest.fixture
def survivor(almaty: Centre) -> Participant:
    return build_survivor(almaty)


@pytest.fixture
def child(survivor: Participant) -> Child:
    return build_child(survivor)


@pytest.fixture
def restricted_adult(child: Child) -> ChildAdult:
    return child.adults.get(authorised=False)


@pytest.fixture
def course(db: Any) -> Any:
    from mamapro.programs.models import Course

    return Course.objects.create(
        title="Кәсіпкерлік негіздері", category="entrepreneurship", language="kk"
    )


@pytest.fixture
def make_run(almaty: Centre, course: Any) -> Callable[..., Any]:
    """A published run starting in two weeks (10 paid + 10 free seats unless told)."""
    from django.utils import timezone

    from mamapro.programs.models import Run

    def make(
        centre: Centre | None = None, *, starts_in: int = 14, days: int = 28, **fields: Any
    ) -> Any:
        today = timezone.localdate()
        values: dict[str, Any] = {
            "course": course,
            "centre": centre or almaty,
            "starts_on": today + dt.timedelta(days=starts_in),
            "ends_on": today + dt.timedelta(days=starts_in + days),
            "price": "15000.00",
            "paid_seats": 10,
            "free_seats": 10,
            **fields,
        }
        return Run.objects.create(**values)

    return make


@pytest.fixture
def run(make_run: Callable[..., Any]) -> Any:
    return make_run()


@pytest.fixture
def make_women(make_participant: Callable[..., Participant]) -> Callable[..., list[Participant]]:
    """`n` women at the centre; `eligible=True` verifies their free-seat eligibility."""
    counter = iter(range(100000))

    def make(n: int, *, centre: Centre | None = None, eligible: bool = False) -> list[Participant]:
        women = []
        for _ in range(n):
            i = next(counter)
            women.append(
                make_participant(
                    centre,
                    given_name="Айгерім",
                    family_name=f"Серікова{i:03d}",
                    phone=f"+7702{i:07d}",
                    circumstances=("stay_at_home",) if eligible else (),
                )
            )
            if eligible:
                services.update_participant(women[-1], data={}, eligibility_verified=True)
        return women

    return make


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Debian's Chromium through Playwright; skipped without it, a failure under CI=true."""
    from mamapro.browser import CHROMIUM, CHROMIUM_ARGS, unavailable

    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the browser test cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API keeps an event loop running in this thread, so the ORM calls made
    # here (fixtures, assertions) would raise SynchronousOnlyOperation: only for this test.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright's loop ran, asgiref handed Django a separate set of connections;
            # close them, or PostgreSQL cannot drop the test database at the end.
            connections.close_all()


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    """A tab on a phone-sized, touch screen."""
    from mamapro.browser import PHONE_VIEWPORT

    context = chromium.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.set_default_navigation_timeout(20_000)
    # Whatever the page, the Content-Security-Policy must never have to block anything.
    refused: list[str] = []
    tab.on(
        "console",
        lambda msg: (
            refused.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    yield tab
    assert not refused, f"the page broke its Content-Security-Policy: {refused}"
