"""The safe-contact gate, tested exhaustively: every combination of her wishes, her consent,
the channel, her safe hours and every hour of the day."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from mamapro.centres.models import Centre
from mamapro.people import safe_contact as sc
from mamapro.people import services
from mamapro.people.models import ContactChannel, Participant

ALMATY = ZoneInfo("Asia/Almaty")
CHANNELS = list(ContactChannel.values)
WINDOWS: list[tuple[dt.time, dt.time] | None] = [
    None,
    (dt.time(9), dt.time(18)),  # a working day
    (dt.time(21), dt.time(8)),  # evenings and nights, across midnight
]


PHONE_CHANNELS = ["call", "sms", "whatsapp", "telegram"]


def _woman(**fields: object) -> Participant:
    centre = Centre(name="Mama Pro Алматы", city="Алматы", region="almaty_city")
    fields.setdefault("phone", "+77015550100")
    return Participant(centre=centre, given_name="Әсел", family_name="Қасымова", **fields)


def _expected(
    no_contact: bool,
    consent: bool,
    channel: str,
    safe: list[str],
    do_not_call: bool,
    email: str,
    window: tuple[dt.time, dt.time] | None,
    hour: int,
    phone: str = "+77015550100",
) -> str:
    """The rule as a table, written out separately from the code under test."""
    if no_contact:
        return sc.NO_CONTACT
    if not consent:
        return sc.NO_CONSENT
    if channel not in safe:
        return sc.CHANNEL_NOT_SAFE
    if channel == "call" and do_not_call:
        return sc.NO_CALLS
    if channel == "email" and not email:
        return sc.NO_ADDRESS
    if channel in PHONE_CHANNELS and not phone:
        return sc.NO_ADDRESS
    if window is not None:
        start, end = window[0].hour, window[1].hour
        inside = start <= hour < end if start < end else (hour >= start or hour < end)
        if not inside:
            return sc.OUTSIDE_SAFE_HOURS
    return ""


def test_every_combination_follows_the_rules() -> None:
    checked = 0
    day = dt.date(2026, 12, 1)
    for (
        no_contact,
        consent,
        channel,
        safe_kind,
        dnc,
        email,
        window,
        discreet,
        survivor,
        phone,
    ) in itertools.product(
        [False, True],
        [False, True],
        CHANNELS,
        ["none", "this", "all"],
        [False, True],
        ["", "asel@example.kz"],
        WINDOWS,
        [False, True],
        [False, True],
        ["", "+77015550100"],
    ):
        safe = {"none": [], "this": [channel], "all": CHANNELS}[safe_kind]
        woman = _woman(
            no_contact=no_contact,
            contact_channels=safe,
            do_not_call=dnc,
            email=email,
            discreet=discreet,
            phone=phone,
            safe_hours_from=window[0] if window else None,
            safe_hours_to=window[1] if window else None,
        )
        for hour in range(24):
            # Given in UTC: the rule reads her centre's local time (UTC+5).
            at = dt.datetime.combine(day, dt.time(hour, 30), tzinfo=ALMATY).astimezone(dt.UTC)
            got = sc.decide(woman, channel, at, consent=consent, survivor=survivor)
            want = _expected(no_contact, consent, channel, safe, dnc, email, window, hour, phone)
            assert got.reason == want, (channel, safe, dnc, email, phone, window, hour, got)
            assert got.allowed == (want == "")
            if got.allowed:
                assert got.discreet == (discreet or survivor)
            if want == sc.OUTSIDE_SAFE_HOURS:
                assert window is not None
                assert got.next_safe_at is not None
                assert got.next_safe_at.time() == window[0]
                assert got.next_safe_at > at
                assert got.next_safe_at - at <= dt.timedelta(days=1)
            checked += 1
    assert checked == 2 * 2 * 5 * 3 * 2 * 2 * 3 * 2 * 2 * 2 * 24


@pytest.mark.parametrize("channel", PHONE_CHANNELS)
def test_a_phone_channel_needs_a_phone_number(channel: str) -> None:
    """The edge alone: every other wish says yes, only the missing number says no."""
    at = dt.datetime(2026, 12, 1, 12, 0, tzinfo=ALMATY)
    woman = _woman(contact_channels=CHANNELS, email="asel@example.kz")
    assert sc.decide(woman, channel, at, consent=True, survivor=False).allowed
    woman.phone = ""
    decision = sc.decide(woman, channel, at, consent=True, survivor=False)
    assert not decision.allowed
    assert decision.reason == sc.NO_ADDRESS
    assert decision.explain() == "There is no address for this channel."
    # E-mail does not need the phone.
    assert sc.decide(woman, "email", at, consent=True, survivor=False).allowed


@pytest.mark.django_db
def test_a_woman_whose_number_was_removed_is_not_texted(survivor) -> None:
    """Read back from the database (a number cleared by an import or by hand)."""
    services.update_participant(survivor, data={"contact_channels": ["sms", "whatsapp"]})
    services.record_consent(survivor, kind="data_processing", version="2026-1")
    Participant.objects.filter(pk=survivor.pk).update(phone="")
    woman = Participant.objects.select_related("centre").get(pk=survivor.pk)
    for channel in ("sms", "whatsapp"):
        assert sc.decide(woman, channel).reason == sc.NO_ADDRESS


@pytest.mark.parametrize(
    ("local", "allowed"),
    [
        ("20:59", False),
        ("21:00", True),
        ("23:59", True),
        ("00:00", True),
        ("07:59", True),
        ("08:00", False),
    ],
)
def test_a_window_across_midnight_has_exact_edges(local: str, allowed: bool) -> None:
    woman = _woman(contact_channels=["sms"], safe_hours_from=dt.time(21), safe_hours_to=dt.time(8))
    at = dt.datetime.combine(dt.date(2026, 12, 1), dt.time.fromisoformat(local), tzinfo=ALMATY)
    assert sc.decide(woman, "sms", at, consent=True, survivor=False).allowed is allowed


def test_the_next_safe_moment_is_tomorrow_when_today_has_passed() -> None:
    woman = _woman(contact_channels=["sms"], safe_hours_from=dt.time(9), safe_hours_to=dt.time(12))
    at = dt.datetime(2026, 12, 1, 15, 0, tzinfo=ALMATY)
    decision = sc.decide(woman, "sms", at, consent=True, survivor=False)
    assert decision.next_safe_at == dt.datetime(2026, 12, 2, 9, 0, tzinfo=ALMATY)
    assert decision.explain() == "It is outside her safe hours."


@pytest.mark.django_db
def test_consent_and_survivor_status_are_read_from_her_record(survivor) -> None:
    services.update_participant(survivor, data={"contact_channels": ["sms"]})
    survivor.refresh_from_db()
    assert sc.decide(survivor, "sms").reason == sc.NO_CONSENT
    consent = services.record_consent(survivor, kind="data_processing", version="2026-1")
    decision = sc.decide(survivor, "sms")
    assert decision.allowed
    assert decision.discreet  # a survivor's messages are always discreet
    services.revoke_consent(consent)
    assert sc.decide(survivor, "sms").reason == sc.NO_CONSENT


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("kind", ["reminder", "offer"])
def test_discreet_messages_never_say_what_the_centre_is_for(language: str, kind: str) -> None:
    details = {"when": "01.12, 10:00", "until": "03.12, 10:00", "what": "Копирайтинг"}
    discreet = sc.compose(sc.Decision(True, discreet=True), kind, language, **details)
    assert sc.is_discreet(discreet), discreet
    plain = sc.compose(sc.Decision(True), kind, language, **details)
    assert not sc.is_discreet(plain)  # the ordinary message does name the centre
    with pytest.raises(ValueError, match="no message may be composed"):
        sc.compose(sc.Decision(False, sc.NO_CONTACT), kind, language, **details)


def test_the_discreet_check_catches_every_revealing_word() -> None:
    for word in sc.REVEALING:
        assert not sc.is_discreet(f"Hello {word.upper()} tomorrow")
    assert sc.is_discreet("Reminder: tomorrow 10:00. Reply STOP to stop these messages.")
