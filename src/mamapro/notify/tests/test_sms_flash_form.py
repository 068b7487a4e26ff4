"""Her safe-contact form has the flash-SMS checkbox: a coordinator ticks it and the outbox
then sends her SMS with mclass 0 (shown on her screen, saved nowhere in the phone)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mamapro.people.models import Participant

pytestmark = pytest.mark.django_db


def _post(p: Participant, **changes: Any) -> dict[str, Any]:
    return {
        "given_name": p.given_name,
        "family_name": p.family_name,
        "phone": p.phone,
        "language": p.language,
        "status": p.status,
        "contact_channels": ["sms"],
        **changes,
    }


def test_the_edit_form_shows_the_checkbox_with_its_explanation(
    client, personas, make_participant
) -> None:
    woman = make_participant()
    client.force_login(personas["coordinator"])
    html = client.get(reverse("people:participant_edit", args=[woman.pk])).content.decode()
    assert 'name="flash_sms"' in html
    assert "not saved in the phone" in html


def test_ticking_it_saves_her_wish_and_unticking_clears_it(
    client, personas, make_participant
) -> None:
    woman = make_participant()
    client.force_login(personas["coordinator"])
    url = reverse("people:participant_edit", args=[woman.pk])
    assert client.post(url, _post(woman, flash_sms="on")).status_code == 302
    woman.refresh_from_db()
    assert woman.flash_sms is True
    assert client.post(url, _post(woman)).status_code == 302
    woman.refresh_from_db()
    assert woman.flash_sms is False
