from __future__ import annotations

import datetime as dt
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


def _create(*args: str) -> str:
    out = StringIO()
    call_command("token", "create", *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_tokens_expire_after_90_days_by_default(personas) -> None:
    from django.utils import timezone

    raw = _create("director")
    token = ApiToken.objects.get(key_hash=hash_token(raw))
    left = token.expires_at - timezone.now()
    assert dt.timedelta(days=89, hours=23) < left <= dt.timedelta(days=90)


def test_days_sets_the_lifetime_and_is_bounded(personas) -> None:
    from django.utils import timezone

    raw = _create("director", "--days", "7")
    token = ApiToken.objects.get(key_hash=hash_token(raw))
    assert token.expires_at - timezone.now() <= dt.timedelta(days=7)
    before = ApiToken.objects.count()
    for days in ("0", "-3", "5000"):
        with pytest.raises(CommandError, match="--days must be between 1 and 366"):
            call_command("token", "create", "director", "--days", days, stdout=StringIO())
    assert ApiToken.objects.count() == before


def test_an_expired_token_gets_401_saying_so(client, personas) -> None:
    from django.utils import timezone

    raw = _create("coordinator")
    headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
    assert client.get("/api/v1/centres", headers=headers).status_code == 200
    ApiToken.objects.filter(key_hash=hash_token(raw)).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/api/v1/centres", headers=headers)
    assert response.status_code == 401
    assert "This token expired on" in response.json()["detail"]
    # An unknown token still gets the plain answer (nothing said about expiry).
    other = client.get("/api/v1/centres", headers={"Authorization": "Bearer mp_nope"})
    assert other.status_code == 401
    assert "expired" not in other.json()["detail"]


def test_a_revoked_token_cannot_be_unrevoked(personas) -> None:
    token, _raw = ApiToken.issue(personas["coordinator"])
    assert token.revoke()
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    assert revoked_at is not None
    assert not token.revoke()  # the first revocation time stays
    token.revoked_at = None
    with pytest.raises(PermissionError, match="stays revoked"):
        token.save()
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at
