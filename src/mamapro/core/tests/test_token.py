from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mamapro.core.models import ApiToken, AuditEntry, hash_token

pytestmark = pytest.mark.django_db


def test_token_create_prints_the_token_alone_on_the_last_line(personas) -> None:
    out = StringIO()
    call_command("token", "create", "director", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("mp_")
    assert " " not in raw
    token = ApiToken.objects.get(key_hash=hash_token(raw))
    assert token.user == personas["director"]
    assert raw not in str(ApiToken.objects.values_list()), "only the hash is stored"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN).count() == 1


def test_token_for_an_unknown_user_is_refused(db) -> None:
    with pytest.raises(CommandError, match="No active user named 'nobody'"):
        call_command("token", "create", "nobody")


@pytest.mark.django_db
def test_revoke_ends_a_users_tokens(client, personas) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("token", "create", "coordinator", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/centres", headers=headers).status_code == 200
    call_command("token", "revoke", "coordinator", stdout=StringIO())
    assert client.get("/api/v1/centres", headers=headers).status_code == 401
    with pytest.raises(Exception, match="No active token"):
        call_command("token", "revoke", "coordinator", stdout=StringIO())
