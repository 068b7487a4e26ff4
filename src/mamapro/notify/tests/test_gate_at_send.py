"""The second gate pass, at send time, on fresh data: what changed since the message was
queued decides. Nothing refused ever reaches the provider."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mamapro.notify import outbox, sender
from mamapro.notify.tests import outbox_world
from mamapro.notify.tests.outbox_world import NOON, fresh
from mamapro.people import safe_contact, services
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db
sms = outbox_world.sms
woman = outbox_world.woman


def _queued(woman: Any, **data: Any) -> tuple[Participant, Any]:
    her = woman(**data)
    row = outbox.queue(her, "confirmed", key=f"c:{her.pk}", now=NOON)
    assert row is not None
    assert row.status == "queued"
    return her, row


def test_consent_withdrawn_after_queuing_cancels_it(woman: Any, sms: Any) -> None:
    her, row = _queued(woman)
    services.revoke_consent(her.consents.get())
    assert sender.send_due(now=NOON) == 0
    assert (fresh(row).status, fresh(row).reason) == ("cancelled", safe_contact.NO_CONSENT)
    assert sms.requests == []


def test_the_channel_unmarked_after_queuing_cancels_it(woman: Any, sms: Any) -> None:
    her, row = _queued(woman, channels=("sms", "email"), email="a@example.org")
    Participant.objects.filter(pk=her.pk).update(contact_channels=["email"])
    sender.send_due(now=NOON)
    assert (fresh(row).status, fresh(row).reason) == ("cancelled", safe_contact.CHANNEL_NOT_SAFE)
    assert sms.requests == []


def test_no_contact_set_after_queuing_cancels_it(woman: Any, sms: Any) -> None:
    her, row = _queued(woman)
    Participant.objects.filter(pk=her.pk).update(no_contact=True)
    sender.send_due(now=NOON)
    assert (fresh(row).status, fresh(row).reason) == ("cancelled", safe_contact.NO_CONTACT)
    assert outbox.explain(fresh(row)) == "She asked not to be contacted."
    assert sms.requests == []


def test_outside_safe_hours_it_waits_and_goes_at_the_windows_start(woman: Any, sms: Any) -> None:
    # 14:00–18:00 in Almaty (UTC+5); queued at 12:00 there.
    her = woman(safe_hours_from=dt.time(14, 0), safe_hours_to=dt.time(18, 0))
    row = outbox.queue(her, "confirmed", key="c", now=NOON)
    assert row is not None
    assert row.status == "waiting"
    start = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    assert sender.send_due(now=start - dt.timedelta(minutes=1)) == 0
    assert sms.requests == []
    assert sender.send_due(now=start) == 1
    got = fresh(row)
    assert (got.status, got.sent_at, got.attempts) == ("sent", start, 1)


def test_hours_that_changed_since_queuing_send_it_back_to_wait(woman: Any, sms: Any) -> None:
    her, row = _queued(woman)
    # She now wants messages only 20:00–08:00 (crossing midnight), in her centre's zone.
    Participant.objects.filter(pk=her.pk).update(
        safe_hours_from=dt.time(20, 0), safe_hours_to=dt.time(8, 0)
    )
    assert sender.send_due(now=NOON) == 0
    got = fresh(row)
    assert (got.status, got.reason) == ("waiting", safe_contact.OUTSIDE_SAFE_HOURS)
    assert got.send_after == dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)  # 20:00 there
    assert got.attempts == 0  # waiting for her hours is not a failed attempt
    assert sender.send_due(now=got.send_after) == 1


def test_safe_hours_follow_her_centres_zone(woman: Any, sms: Any, astana: Any) -> None:
    astana.timezone = "Europe/Moscow"  # UTC+3, two hours behind Almaty
    astana.save(update_fields=["timezone"])
    her = woman(centre=astana, safe_hours_from=dt.time(14, 0), safe_hours_to=dt.time(18, 0))
    row = outbox.queue(her, "confirmed", key="c", now=NOON)  # 10:00 in Moscow
    assert row is not None
    assert row.send_after == dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC)  # 14:00 there


def test_a_survivor_gets_the_discreet_words(woman: Any, sms: Any) -> None:
    survivor = woman(circumstances=("domestic_violence",))
    other = woman()
    for her in (survivor, other):
        outbox.queue(her, "confirmed", key=f"c:{her.pk}", now=NOON)
    assert sender.send_due(now=NOON) == 2
    texts = {m.to: m.text for m in sms.messages}
    assert safe_contact.is_discreet(texts[survivor.phone.lstrip("+")])
    assert fresh(survivor.deliveries.get()).discreet is True
    assert fresh(other.deliveries.get()).discreet is False


def test_a_message_past_its_validity_is_no_longer_needed(woman: Any, sms: Any) -> None:
    her = woman()
    row = outbox.queue(
        her,
        "reminder",
        key="r",
        context={"valid_until": NOON + dt.timedelta(hours=1)},
        now=NOON,
    )
    assert row is not None
    assert sender.send_due(now=NOON + dt.timedelta(hours=2)) == 0
    assert (fresh(row).status, fresh(row).reason) == ("cancelled", outbox.NO_LONGER_NEEDED)
    assert sms.requests == []


def test_an_offer_already_answered_is_no_longer_needed(woman: Any, sms: Any, run: Any) -> None:
    from mamapro.programs.models import Enrollment

    her = woman()
    enrollment = Enrollment.objects.create(
        run=run,
        participant=her,
        centre=run.centre,
        seat_type="paid",
        status="confirmed",
    )
    row = outbox.queue(her, "offer", key="o", subject=enrollment, now=NOON)
    assert row is not None
    sender.send_due(now=NOON)
    assert (fresh(row).status, fresh(row).reason) == ("cancelled", outbox.NO_LONGER_NEEDED)
    assert sms.requests == []


def test_a_discreet_text_that_names_the_centres_purpose_is_not_sent(woman: Any, sms: Any) -> None:
    survivor = woman(circumstances=("domestic_violence",))
    row = outbox.queue(
        survivor, "roster_message", key="r", body="Завтра приём у психолога в 10:00", now=NOON
    )
    assert row is not None
    assert sender.send_due(now=NOON) == 0
    got = fresh(row)
    assert (got.status, got.reason) == ("failed", outbox.NOT_DISCREET)
    assert got.text == ""
    assert sms.requests == []


def test_a_template_that_cannot_be_filled_fails_that_row_only(woman: Any, sms: Any) -> None:
    her, other = woman(), woman()
    broken = outbox.queue(her, "no_such_kind", key="x", now=NOON)
    fine = outbox.queue(other, "confirmed", key="y", now=NOON)
    assert broken is not None
    assert fine is not None
    assert sender.send_due(now=NOON) == 1
    assert (fresh(broken).status, fresh(broken).reason) == ("failed", outbox.TEMPLATE_ERROR)
    assert fresh(fine).status == "sent"


def _session(run: Any, starts: dt.datetime) -> Any:
    from mamapro.programs.models import Session

    return Session.objects.create(
        run=run, centre=run.centre, starts_at=starts, ends_at=starts + dt.timedelta(hours=2)
    )


def _seat(run: Any, her: Participant, status: str = "confirmed") -> Any:
    from mamapro.programs.models import Enrollment

    return Enrollment.objects.create(
        run=run, participant=her, centre=run.centre, seat_type="paid", status=status
    )


@pytest.mark.parametrize("change", ["cancelled", "withdrawn", "passed"])
def test_a_reminder_is_not_sent_once_the_session_or_her_seat_is_gone(
    woman: Any, sms: Any, run: Any, change: str
) -> None:
    # An attack on the demo: a reminder queued the day before (often waiting for her safe
    # hours) still went out after the session was cancelled or after she left the run.
    her = woman()
    session = _session(run, NOON + dt.timedelta(days=1))
    seat = _seat(run, her)
    row = outbox.queue(her, "reminder", key="rem", subject=session, now=NOON)
    assert row is not None
    when = NOON
    if change == "cancelled":
        session.cancelled = True
        session.save(update_fields=["cancelled"])
    elif change == "withdrawn":
        seat.status = "withdrawn"
        seat.save(update_fields=["status"])
    else:
        when = NOON + dt.timedelta(days=2)
    assert sender.send_due(now=when) == 0
    assert (fresh(row).status, fresh(row).reason) == ("cancelled", outbox.NO_LONGER_NEEDED)
    assert sms.requests == []


def test_a_reminder_to_a_woman_still_seated_goes(woman: Any, sms: Any, run: Any) -> None:
    her = woman()
    session = _session(run, NOON + dt.timedelta(days=1))
    _seat(run, her)
    row = outbox.queue(her, "reminder", key="rem", subject=session, now=NOON)
    assert row is not None
    assert sender.send_due(now=NOON) == 1


def test_a_confirmation_after_she_left_is_not_sent(woman: Any, sms: Any, run: Any) -> None:
    her = woman()
    seat = _seat(run, her)
    row = outbox.queue(her, "confirmed", key="c", subject=seat, now=NOON)
    assert row is not None
    seat.status = "withdrawn"
    seat.save(update_fields=["status"])
    assert sender.send_due(now=NOON) == 0
    assert (fresh(row).status, fresh(row).reason) == ("cancelled", outbox.NO_LONGER_NEEDED)
