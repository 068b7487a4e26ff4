"""Linking her Telegram: the coordinator's one-time deep link, `/start <token>` from her chat,
her "Yes" — and everything that must change nothing (expired, used, unknown, forged)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mamapro.core.errors import Conflict, Refused
from mamapro.core.models import AuditEntry, User
from mamapro.notify import inbound, telegram_links
from mamapro.notify.channels.telegram import TelegramBot
from mamapro.notify.fakes.telegram import FakeTelegram
from mamapro.notify.models import TelegramLink
from mamapro.notify.tests import tg_world
from mamapro.people import safe_contact
from mamapro.people import services as people
from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db

CHAT = "501234567"
OTHER_CHAT = "909090909"
HOOK = "/hooks/telegram"


tg = tg_world.tg


@pytest.fixture
def her(make_participant: Callable[..., Participant]) -> Participant:
    woman = make_participant(language="kk", contact_channels=["sms"])
    people.record_consent(woman, kind="data_processing", version="2026-1")
    return woman


@pytest.fixture
def coordinator(personas: dict[str, User]) -> User:
    return personas["coordinator"]


def _token(url: str) -> str:
    match = re.fullmatch(r"https://t\.me/MamaProTestBot\?start=([A-Za-z0-9_-]+)", url)
    assert match, url
    return match.group(1)


def _open(tg: FakeTelegram, chat: str, text: str, capture: Any) -> None:
    """Her message reaches the bot (as the webhook hands it on), replies sent on commit."""
    result = TelegramBot().parse_webhook(_request(tg, tg.message_update(chat, text)))
    with capture(execute=True):
        inbound.handle("telegram", result.inbound)


def _press(tg: FakeTelegram, chat: str, data: str, capture: Any) -> None:
    result = TelegramBot().parse_webhook(_request(tg, tg.callback_update(chat, data)))
    with capture(execute=True):
        inbound.handle("telegram", result.inbound)


def _request(tg: FakeTelegram, update: dict[str, Any]) -> Any:
    from django.test import RequestFactory

    return RequestFactory().post(
        HOOK, data=json.dumps(update), content_type="application/json", headers=tg.update_headers()
    )


def _reload(p: Participant) -> Participant:
    return Participant.objects.get(pk=p.pk)


# --- the link --------------------------------------------------------------------------------


def test_a_link_is_a_random_token_stored_only_as_its_hash(
    tg: FakeTelegram, her: Participant, coordinator: User
) -> None:
    new = telegram_links.create_link(her, coordinator)
    token = _token(new.url)
    assert len(token) >= 22  # ≥ 128 bits in base64url
    link = TelegramLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(TelegramLink.objects.values()), default=str)
    assert link.expires_at - link.created_at == dt.timedelta(minutes=15)
    assert link.created_by == coordinator
    assert (link.used_at, link.confirmed_at, link.chat_id) == (None, None, "")
    entry = AuditEntry.objects.filter(object_type="notify.telegramlink").get()
    assert entry.actor == coordinator
    assert token not in json.dumps(entry.details)


def test_two_links_never_share_a_token(tg: FakeTelegram, her: Participant) -> None:
    tokens = {_token(telegram_links.create_link(her, None).url) for _ in range(20)}
    assert len(tokens) == 20


def test_a_new_link_revokes_the_old_one_and_telegram_waits_for_her_again(
    tg: FakeTelegram, her: Participant, coordinator: User, django_capture_on_commit_callbacks: Any
) -> None:
    first = telegram_links.create_link(her, coordinator)
    _open(tg, CHAT, f"/start {_token(first.url)}", django_capture_on_commit_callbacks)
    link = TelegramLink.objects.get()
    _press(tg, CHAT, f"link:yes:{link.pk}", django_capture_on_commit_callbacks)
    assert "telegram" in _reload(her).contact_channels

    telegram_links.create_link(her, coordinator)
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert (link.chat_id, link.chat_digest) == ("", None)  # the old chat is forgotten
    assert "telegram" not in _reload(her).contact_channels
    relinked = AuditEntry.objects.filter(details__event="telegram_relinked").get()
    assert relinked.actor == coordinator


def test_no_link_without_a_configured_bot(her: Participant, settings: Any) -> None:
    settings.TELEGRAM_BOT_TOKEN = ""
    with pytest.raises(Conflict) as caught:
        telegram_links.create_link(her, None)
    assert "TELEGRAM_BOT_TOKEN" in caught.value.message
    assert not TelegramLink.objects.exists()


def test_no_link_for_a_woman_who_asked_not_to_be_contacted(
    tg: FakeTelegram, her: Participant
) -> None:
    Participant.objects.filter(pk=her.pk).update(no_contact=True)
    with pytest.raises(Refused) as caught:
        telegram_links.create_link(_reload(her), None)
    assert caught.value.message == str(safe_contact.REASONS[safe_contact.NO_CONTACT])
    assert not TelegramLink.objects.exists()


def test_no_link_without_consent(
    tg: FakeTelegram, make_participant: Callable[..., Participant]
) -> None:
    with pytest.raises(Refused):
        telegram_links.create_link(make_participant(), None)


# --- /start and her answer -------------------------------------------------------------------


def test_the_whole_linking_in_her_language(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    new = telegram_links.create_link(her, None)
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)

    link = TelegramLink.objects.get()
    assert link.used_at is not None
    assert link.confirmed_at is None
    assert link.chat_id == CHAT
    assert link.chat_digest
    assert "telegram" not in _reload(her).contact_channels  # not before she says yes

    [question] = tg.to(CHAT)
    assert question.protect_content
    # In her language (kk): the catalogue's words for the question and its two buttons.
    with translation.override("kk"):
        assert question.text == _(
            "Hello! Is this your own Telegram, and may we send you short messages here?"
        )
        yes, no = pgettext("telegram button", "Yes"), pgettext("telegram button", "No")
    assert question.buttons == ((yes, f"link:yes:{link.pk}"), (no, f"link:no:{link.pk}"))
    assert safe_contact.is_discreet(question.text)

    _press(tg, CHAT, f"link:yes:{link.pk}", django_capture_on_commit_callbacks)
    link.refresh_from_db()
    assert link.confirmed_at is not None
    assert _reload(her).contact_channels == ["sms", "telegram"]
    wish = AuditEntry.objects.filter(details__event="telegram_confirmed_by_her").get()
    assert wish.actor is None
    assert wish.object_id == str(her.pk)
    assert wish.fields == ["contact_channels"]
    thanks = tg.to(CHAT)[-1]
    assert safe_contact.is_discreet(thanks.text)
    assert thanks.buttons == ()


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_answer_of_the_bot_is_discreet_in_every_language(
    tg: FakeTelegram,
    make_participant: Callable[..., Participant],
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    woman = make_participant(language=language)
    people.record_consent(woman, kind="data_processing", version="2026-1")
    for choice in ("yes", "no"):
        new = telegram_links.create_link(woman, None)
        _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
        link = TelegramLink.objects.filter(participant=woman).first()
        assert link is not None
        _press(tg, CHAT, f"link:{choice}:{link.pk}", django_capture_on_commit_callbacks)
    _open(tg, CHAT, "/start not-a-token-we-made", django_capture_on_commit_callbacks)
    texts = [m.text for m in tg.to(CHAT)]
    assert len(texts) == 5
    assert len(set(texts)) == 4  # the question twice, thanks, all right, the neutral answer
    assert all(safe_contact.is_discreet(t) for t in texts)
    assert all("Mama Pro" not in t for t in texts)


def test_no_revokes_the_link_and_forgets_the_chat(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    new = telegram_links.create_link(her, None)
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    link = TelegramLink.objects.get()
    _press(tg, CHAT, f"link:no:{link.pk}", django_capture_on_commit_callbacks)
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert link.confirmed_at is None
    assert link.chat_id == ""
    assert not link.chat_digest
    assert "telegram" not in _reload(her).contact_channels
    # A later "Yes" on the same message changes nothing.
    _press(tg, CHAT, f"link:yes:{link.pk}", django_capture_on_commit_callbacks)
    link.refresh_from_db()
    assert link.confirmed_at is None


def _neutral_only(tg: FakeTelegram, chat: str) -> None:
    [answer] = tg.to(chat)
    with translation.override("kk"):
        assert answer.text == _("This link does not work any more. Please ask for a new one.")
    assert answer.buttons == ()


def test_an_expired_link_changes_nothing(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    new = telegram_links.create_link(her, None, now=timezone.now() - dt.timedelta(minutes=16))
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    link = TelegramLink.objects.get()
    assert (link.used_at, link.chat_id) == (None, "")
    _neutral_only(tg, CHAT)


def test_a_used_link_changes_nothing_for_another_chat(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    new = telegram_links.create_link(her, None)
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    _open(tg, OTHER_CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    assert TelegramLink.objects.get().chat_id == CHAT
    _neutral_only(tg, OTHER_CHAT)


def test_her_own_chat_opening_the_link_again_is_asked_again(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    new = telegram_links.create_link(her, None)
    tg.fail_next()  # the first question is lost on the way
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    assert tg.to(CHAT) == []
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    [question] = tg.to(CHAT)
    assert len(question.buttons) == 2


@pytest.mark.parametrize("token", ["x" * 43, "кириллица", "a b", "../../etc"])
def test_an_unknown_or_malformed_token_gets_the_neutral_answer(
    tg: FakeTelegram,
    her: Participant,
    token: str,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.LANGUAGE_CODE = "kk"
    telegram_links.create_link(her, None)
    _open(tg, CHAT, f"/start {token}", django_capture_on_commit_callbacks)
    assert TelegramLink.objects.get().used_at is None
    _neutral_only(tg, CHAT)


def test_a_bare_start_gets_no_answer(
    tg: FakeTelegram, django_capture_on_commit_callbacks: Any
) -> None:
    _open(tg, CHAT, "/start", django_capture_on_commit_callbacks)
    assert tg.messages == []


def test_a_forged_button_from_another_chat_changes_nothing(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    new = telegram_links.create_link(her, None)
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    link = TelegramLink.objects.get()
    _press(tg, OTHER_CHAT, f"link:yes:{link.pk}", django_capture_on_commit_callbacks)
    _press(tg, CHAT, "link:yes:999999", django_capture_on_commit_callbacks)
    _press(tg, CHAT, f"link:maybe:{link.pk}", django_capture_on_commit_callbacks)
    link.refresh_from_db()
    assert link.confirmed_at is None
    assert "telegram" not in _reload(her).contact_channels
    assert tg.to(OTHER_CHAT) == []


def test_yes_a_day_later_is_too_late(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    new = telegram_links.create_link(her, None)
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    link = TelegramLink.objects.get()
    TelegramLink.objects.filter(pk=link.pk).update(used_at=timezone.now() - dt.timedelta(days=2))
    _press(tg, CHAT, f"link:yes:{link.pk}", django_capture_on_commit_callbacks)
    link.refresh_from_db()
    assert link.confirmed_at is None


def test_consent_withdrawn_before_yes_changes_nothing(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    new = telegram_links.create_link(her, None)
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    link = TelegramLink.objects.get()
    Participant.objects.filter(pk=her.pk).update(no_contact=True)
    _press(tg, CHAT, f"link:yes:{link.pk}", django_capture_on_commit_callbacks)
    link.refresh_from_db()
    assert link.confirmed_at is None
    assert "telegram" not in _reload(her).contact_channels


def test_the_same_update_twice_acts_once(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    new = telegram_links.create_link(her, None)
    update = tg.message_update(CHAT, f"/start {_token(new.url)}")
    for _attempt in range(2):
        result = TelegramBot().parse_webhook(_request(tg, update))
        with django_capture_on_commit_callbacks(execute=True):
            inbound.handle("telegram", result.inbound)
    assert len(tg.to(CHAT)) == 1


def test_the_start_token_is_never_stored(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    from mamapro.notify.models import InboundMessage

    new = telegram_links.create_link(her, None)
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    row = InboundMessage.objects.get()
    assert row.text == "/start …"
    assert row.action == "link"


def test_an_answer_that_would_not_be_discreet_is_never_sent(tg: FakeTelegram) -> None:
    with pytest.raises(ValueError, match="must not name"):
        telegram_links.reply_in_chat(telegram_links.Reply(CHAT, "Mama Pro Centre says hi"))
    assert tg.messages == []


def test_a_rolled_back_change_sends_no_answer(
    tg: FakeTelegram, her: Participant, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    new = telegram_links.create_link(her, None)
    result = TelegramBot().parse_webhook(
        _request(tg, tg.message_update(CHAT, f"/start {_token(new.url)}"))
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        inbound.handle("telegram", result.inbound)
        transaction.set_rollback(True)
    assert tg.messages == []
    assert TelegramLink.objects.get().used_at is None


# --- her page --------------------------------------------------------------------------------


def _page(client: Client, her: Participant) -> str:
    response = client.get(reverse("people:participant_detail", args=[her.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_her_page_shows_each_state_never_the_chat(
    tg: FakeTelegram,
    her: Participant,
    coordinator: User,
    login: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = login(coordinator)
    assert "Not linked." in _page(client, her)
    assert "Link Telegram" in _page(client, her)

    new = telegram_links.create_link(her, coordinator)
    assert "Link not opened yet" in _page(client, her)
    _open(tg, CHAT, f"/start {_token(new.url)}", django_capture_on_commit_callbacks)
    page = _page(client, her)
    assert "Waiting for her confirmation" in page
    assert "Make a new link" in page
    link = TelegramLink.objects.get()
    _press(tg, CHAT, f"link:yes:{link.pk}", django_capture_on_commit_callbacks)
    page = _page(client, her)
    assert "Linked" in page
    assert CHAT not in page
    assert _token(new.url) not in page


def test_the_panel_is_for_the_care_team_only(
    tg: FakeTelegram, her: Participant, personas: dict[str, User], login: Callable[[User], Client]
) -> None:
    for role in ("manager", "comms", "trainer", "psychologist", "tutor"):
        client = login(personas[role])
        response = client.get(reverse("people:participant_detail", args=[her.pk]))
        assert 'id="telegram"' not in response.content.decode(), role


def test_the_panel_costs_one_query(
    tg: FakeTelegram,
    her: Participant,
    coordinator: User,
    rf: Any,
    django_assert_num_queries: Any,
) -> None:
    from mamapro.notify.views_telegram import telegram_panel

    request = rf.get("/")
    request.user = coordinator
    telegram_links.create_link(her, coordinator)
    from mamapro.core import permissions as perms

    perms.principal(coordinator)  # the roles, read once per request by every page
    her = Participant.objects.select_related("centre").get(pk=her.pk)
    with django_assert_num_queries(1):
        panel = telegram_panel(request, her)
    assert panel is not None
    assert panel.context["state"] == "given"


def test_the_panel_says_when_the_bot_is_not_set_up(
    her: Participant, coordinator: User, login: Callable[[User], Client], settings: Any
) -> None:
    settings.TELEGRAM_BOT_TOKEN = ""
    page = _page(login(coordinator), her)
    assert "The Telegram bot is not set up" in page
    assert "Link Telegram" not in page


def test_the_link_page_shows_the_link_once_with_the_warning(
    tg: FakeTelegram, her: Participant, coordinator: User, login: Callable[[User], Client]
) -> None:
    client = login(coordinator)
    response = client.post(reverse("notify_telegram_link", args=[her.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    url = re.search(r'value="(https://t\.me/[^"]+)"', page)
    assert url is not None
    token = _token(url.group(1))
    assert TelegramLink.objects.get().token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert "only in person" in page
    # Nothing on her page or a second visit shows it again.
    assert token not in _page(client, her)


def test_the_link_page_refuses_with_a_clear_message(
    her: Participant, coordinator: User, login: Callable[[User], Client], settings: Any
) -> None:
    settings.TELEGRAM_BOT_TOKEN = ""
    client = login(coordinator)
    response = client.post(reverse("notify_telegram_link", args=[her.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("people:participant_detail", args=[her.pk])
    assert "Telegram is not set up" in response.content.decode()
    assert not TelegramLink.objects.exists()


def test_another_centres_coordinator_gets_404_and_a_get_is_refused(
    tg: FakeTelegram, her: Participant, personas: dict[str, User], login: Callable[[User], Client]
) -> None:
    url = reverse("notify_telegram_link", args=[her.pk])
    assert login(personas["outsider"]).post(url).status_code == 404
    assert login(personas["manager"]).post(url).status_code == 403
    assert login(personas["coordinator"]).get(url).status_code == 405
    assert not TelegramLink.objects.exists()


def test_the_panel_warns_when_telegram_is_ticked_without_a_chat(
    tg: FakeTelegram, her: Participant, coordinator: User, login: Callable[[User], Client]
) -> None:
    Participant.objects.filter(pk=her.pk).update(contact_channels=["sms", "telegram"])
    page = _page(login(coordinator), her)
    assert "no chat of hers is linked" in page
