"""A restricted adult named at the kids' room: the coordinators on duty and the director get
the notification record and, where they set their own contact, a message on that channel,
which names no child and no adult. Her erasure blanks her messages and forgets her chat."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mamapro.kidsroom.models import Alert
from mamapro.notify import outbox, sender, services
from mamapro.notify.models import Delivery, Notification, StaffContact, TelegramLink
from mamapro.notify.tests import outbox_world
from mamapro.people import subject_rights

pytestmark = pytest.mark.django_db
sms = outbox_world.sms
woman = outbox_world.woman


def test_the_alert_reaches_coordinator_and_director_on_their_own_channel(
    personas: Any, child: Any, restricted_adult: Any, sms: Any
) -> None:
    StaffContact.objects.create(user=personas["coordinator"], channel="sms", address="+77015550999")
    StaffContact.objects.create(user=personas["director"], channel="sms", address="+77015550998")
    StaffContact.objects.create(user=personas["outsider"], channel="sms", address="+77015550997")
    alert = Alert.objects.create(
        centre=child.centre,
        kind=Alert.Kind.CHECK_OUT_BLOCKED,
        child=child,
        adult=restricted_adult,
        named=restricted_adult.name,
    )
    records = services.restricted_adult_alert(alert)
    assert {r.recipient_id for r in records} == {
        personas["coordinator"].pk,
        personas["director"].pk,
    }
    assert Notification.objects.count() == 2
    rows = Delivery.objects.filter(kind="staff_alert")
    assert {r.user_id for r in rows} == {personas["coordinator"].pk, personas["director"].pk}
    assert sender.send_due() == 2
    texts = [m.text for m in sms.messages]
    assert {m.to for m in sms.messages} == {"77015550999", "77015550998"}
    for text in texts:
        assert child.given_name not in text
        assert restricted_adult.name.split()[0] not in text
        assert "/kids-room/alerts/" in text
    # The same alert twice is not a second message.
    services.restricted_adult_alert(alert)
    assert Delivery.objects.filter(kind="staff_alert").count() == 2


def test_no_staff_contact_no_message(personas: Any) -> None:
    assert outbox.queue_staff(personas["coordinator"], 1, "staff_alert", key="x") is None


def test_her_erasure_blanks_her_messages_and_forgets_her_chat(woman: Any, sms: Any) -> None:
    her = woman()
    sent = outbox.queue(her, "roster_message", key="a", body="Ертең сабақ 10:00-де")
    sender.send_due()
    waiting = outbox.queue(her, "roster_message", key="b", body="Келесі апта")
    TelegramLink.objects.create(
        centre=her.centre,
        participant=her,
        token_hash="h" * 64,
        expires_at=timezone.now(),
        chat_id="777",
        confirmed_at=timezone.now(),
    )
    assert sent is not None
    assert waiting is not None
    subject_rights.erase(her)
    rows = Delivery.objects.filter(participant=her)
    assert all(r.text == "" and r.body == "" for r in rows)
    assert Delivery.objects.get(pk=waiting.pk).status == "cancelled"
    link = TelegramLink.objects.get()
    assert (link.chat_id, link.revoked_at is not None) == ("", True)


def test_tick_runs_the_programmes_and_the_messages(woman: Any, sms: Any) -> None:
    from io import StringIO

    out = StringIO()
    her = woman()
    outbox.queue(her, "confirmed", key="k")
    old_task = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=old_task.pk).update(
        status="SUCCESSFUL", finished_at=timezone.now() - dt.timedelta(days=8)
    )
    call_command("tick", stdout=out)
    assert not DBTaskResult.objects.filter(pk=old_task.pk).exists()  # pruned
    # ...and the queued message got a new wake-up.
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    text = out.getvalue()
    assert "offers expired:" in text  # the programmes' tick
    assert "reminders queued:" in text  # the triggers' schedule
    assert "messages in doubt:" in text
    assert "statuses updated:" in text
