"""Real parallel connections (SQLite and PostgreSQL alike): a provider retrying a webhook while
the first delivery is still being handled acts once; two chats opening one link at the same
instant link one chat."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mamapro.conftest import race
from mamapro.core.models import AuditEntry
from mamapro.notify import inbound, telegram_links
from mamapro.notify.channels.base import Inbound
from mamapro.notify.fakes.telegram import FakeTelegram
from mamapro.notify.models import InboundMessage, TelegramLink
from mamapro.notify.tests import tg_world
from mamapro.people import services as people
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+77015557777"


tg = tg_world.tg


def test_the_same_stop_delivered_eight_times_at_once_acts_once(
    make_participant: Callable[..., Participant],
) -> None:
    her = make_participant(phone=PHONE, contact_channels=["sms", "email"])
    message = Inbound(sender=PHONE, text="СТОП", provider_message_id="mobizon-42")
    acted: list[int] = []
    _refused, errors = race(
        lambda _i: acted.append(inbound.handle("sms", [message])), list(range(8))
    )
    assert not errors, errors
    assert sorted(acted) == [0] * 7 + [1]
    assert InboundMessage.objects.count() == 1
    assert AuditEntry.objects.filter(details__event="stopped_by_reply").count() == 1
    assert Participant.objects.get(pk=her.pk).contact_channels == ["email"]


def test_two_chats_opening_one_link_at_once_link_one(
    tg: FakeTelegram, make_participant: Callable[..., Participant]
) -> None:
    her = make_participant(language="ru")
    people.record_consent(her, kind="data_processing", version="2026-1")
    token = telegram_links.create_link(her, None).url.rsplit("=", 1)[1]
    chats = [str(600_000_000 + i) for i in range(6)]

    def opens(i: int) -> None:
        inbound.handle(
            "telegram",
            [Inbound(sender=chats[i], text=f"/start {token}", provider_message_id=f"u{i}")],
        )

    _refused, errors = race(opens, list(range(len(chats))))
    assert not errors, errors
    link = TelegramLink.objects.get()
    assert link.chat_id in chats
    asked = [m for m in tg.messages if m.buttons]
    assert [m.chat_id for m in asked] == [int(link.chat_id)]
    # Every other chat got the neutral sentence, nothing more.
    assert len(tg.messages) == len(chats)
