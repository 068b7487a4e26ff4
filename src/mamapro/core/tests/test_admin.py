"""The admin: behind the staff log-in's throttle and the second step, no authenticator secret
on any page, token revocation one-way, and every change audited (cascades included)."""

from __future__ import annotations

import base64

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from mamapro.centres.models import Membership, Role
from mamapro.conftest import totp_code
from mamapro.core import security, two_factor
from mamapro.core.admin_audit import AuditedModelAdmin
from mamapro.core.models import ApiToken, AuditEntry, TOTPDevice, User
from mamapro.people.models import Child, ChildAdult, Participant

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


@pytest.fixture
def root(make_user) -> User:
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)  # password and second step done (conftest)
    return client


def _entries(action: str, obj) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
    )


# --- Log-in: one throttle, one second step ---------------------------------------------------


def test_the_admin_log_in_is_the_staff_log_in(client, root) -> None:
    response = client.get("/admin/login/?next=/admin/core/user/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/core/user/"
    # Django's own form is gone: a right password posted there logs nobody in.
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    # Following the admin from the start ends on the staff log-in too.
    final = client.get("/admin/", follow=True)
    assert final.redirect_chain[-1][0] == "/login/?next=/admin/"


def test_the_admin_sits_behind_the_log_in_throttle(client, root) -> None:
    for _ in range(security.LOGIN_FAILURE_LIMIT):
        client.post("/login/?next=/admin/", {"username": "root", "password": "wrong-password-1"})
    response = client.post("/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Nor is there a way round through the admin's own address.
    client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_the_admin_asks_for_the_second_step(client, root) -> None:
    response = client.post("/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert response["Location"] == "/admin/"
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/2fa/?next=/admin/"
    assert client.get("/admin/core/user/").status_code == 302
    done = client.post(reverse("two_factor"), {"code": totp_code(root), "next": "/admin/"})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_site_itself_refuses_a_session_without_the_second_step(rf, root) -> None:
    """Even if the middleware were reordered, the admin checks the step itself."""
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/admin/")
    request.user = root
    request.session = SessionStore()
    assert admin.site.has_permission(request) is False
    request.session[two_factor.VERIFIED_KEY] = "now"
    assert admin.site.has_permission(request) is True
    # Staff status alone is not enough: superusers only.
    request.user = User(username="staff", is_staff=True, is_active=True)
    assert admin.site.has_permission(request) is False


def test_a_signed_in_non_administrator_is_refused_not_looped(client, personas) -> None:
    client.force_login(personas["coordinator"])
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/?next=/admin/").status_code == 403


# --- Secrets never shown ---------------------------------------------------------------------


def test_no_admin_page_shows_an_authenticator_secret(admin_client, personas) -> None:
    coordinator = personas["coordinator"]
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    pending = TOTPDevice.objects.create(user=personas["tutor"], name="new", confirmed=False)
    secrets = []
    for d in (device, pending):
        secrets += [d.key, d.key.upper(), base64.b32encode(d.bin_key).decode().rstrip("=")]
    pages = [
        reverse("admin:core_totpdevice_changelist"),
        reverse("admin:core_totpdevice_change", args=[device.pk]),
        reverse("admin:core_totpdevice_change", args=[pending.pk]),
        reverse("admin:core_user_changelist"),
        reverse("admin:core_user_change", args=[coordinator.pk]),
        reverse("admin:index"),
    ]
    # Every list and add page the admin has, too.
    for model, _model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        for secret in secrets:
            assert secret not in html, page
        assert "otpauth://" not in html, page
        assert "data:image/svg+xml" not in html, page


def test_a_device_cannot_be_added_or_edited_only_deleted(admin_client, personas) -> None:
    device = TOTPDevice.objects.create(user=personas["coordinator"], name="phone")
    key = device.key
    assert admin_client.get(reverse("admin:core_totpdevice_add")).status_code == 403
    change = reverse("admin:core_totpdevice_change", args=[device.pk])
    response = admin_client.post(change, {"name": "mine", "confirmed": "", "key": "00" * 20})
    assert response.status_code == 403
    device.refresh_from_db()
    assert (device.key, device.name, device.confirmed) == (key, "phone", True)
    delete = reverse("admin:core_totpdevice_delete", args=[device.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert _entries("delete", device)  # (our instance keeps its pk; the admin deleted its own)


def test_deleting_a_device_is_audited(admin_client, personas) -> None:
    device = TOTPDevice.objects.create(user=personas["coordinator"], name="phone")
    pk = device.pk
    admin_client.post(reverse("admin:core_totpdevice_delete", args=[pk]), {"post": "yes"})
    assert AuditEntry.objects.filter(
        action="delete", object_type="core.totpdevice", object_id=str(pk)
    ).exists()


# --- Tokens: revocation is one-way -----------------------------------------------------------


def test_a_revoked_token_stays_revoked_in_the_admin(admin_client, personas) -> None:
    token, _raw = ApiToken.issue(personas["coordinator"], label="sync")
    token.revoke()
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    change = reverse("admin:core_apitoken_change", args=[token.pk])
    page = admin_client.get(change).content.decode()
    assert 'name="revoked_at' not in page
    assert 'name="user"' not in page
    assert 'name="expires_at' not in page
    response = admin_client.post(
        change,
        {
            "label": "sync again",
            "revoked_at_0": "",
            "revoked_at_1": "",
            "user": personas["director"].pk,
            "expires_at_0": "2099-01-01",
            "expires_at_1": "00:00:00",
        },
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert token.user == personas["coordinator"]
    assert token.expires_at.year != 2099
    assert token.label == "sync again"
    assert _entries("update", token)[0].fields == ["label"]


def test_the_revoke_action_revokes_and_audits(admin_client, personas, client) -> None:
    token, raw = ApiToken.issue(personas["coordinator"])
    headers = {"Authorization": f"Bearer {raw}"}
    admin_client.post(
        reverse("admin:core_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    entry = _entries("token", token)[0]
    assert entry.details["event"] == "revoked"
    assert entry.details["via"] == "admin"
    admin_client.logout()
    assert client.get("/api/v1/centres", headers=headers).status_code == 401


# --- Every change audited --------------------------------------------------------------------


def test_adding_and_changing_a_user_is_audited(admin_client, root) -> None:
    response = admin_client.post(
        reverse("admin:core_user_add"),
        {
            "username": "newcomer",
            "password1": "Another-long-password-9",
            "password2": "Another-long-password-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="newcomer")
    created = _entries("create", user)
    assert created
    assert created[0].actor == root
    assert created[0].details["via"] == "admin"
    assert "Another-long-password-9" not in repr(created[0].fields) + repr(created[0].details)
    page = reverse("admin:core_user_change", args=[user.pk])
    data = {
        "username": "newcomer",
        "first_name": "Ая",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "language": "ru",
    }
    assert admin_client.post(page, data).status_code == 302
    changed = _entries("update", user)
    assert changed
    assert {"first_name", "is_superuser", "language"} <= set(changed[0].fields)
    assert "Ая" not in repr(changed[0].details)
    password = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin_client.post(
        password,
        {"password1": "Third-long-password-77", "password2": "Third-long-password-77"},
    )
    assert response.status_code == 302
    assert any(e.fields == ["password"] for e in _entries("update", user))
    # Django's own history keeps names in clear: it is not written.
    assert LogEntry.objects.count() == 0


def test_deleting_a_user_audits_everything_it_takes_along(admin_client, make_user, almaty) -> None:
    user = make_user("leaver", Role.TRAINER, almaty)
    membership = Membership.objects.get(user=user)
    token, _raw = ApiToken.issue(user)
    device = TOTPDevice.objects.create(user=user, name="phone")
    ids = {
        "core.user": str(user.pk),
        "centres.membership": str(membership.pk),
        "core.apitoken": str(token.pk),
        "core.totpdevice": str(device.pk),
    }
    response = admin_client.post(reverse("admin:core_user_delete", args=[user.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(username="leaver").exists()
    for object_type, object_id in ids.items():
        assert AuditEntry.objects.filter(
            action="delete", object_type=object_type, object_id=object_id
        ).exists(), object_type


def test_deleting_a_participant_in_the_admin_is_audited(admin_client, survivor, child) -> None:
    adults = list(ChildAdult.objects.filter(child=child).values_list("pk", flat=True))
    response = admin_client.post(
        reverse("admin:people_participant_delete", args=[survivor.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Participant.objects.filter(pk=survivor.pk).exists()
    deleted = set(
        AuditEntry.objects.filter(action="delete").values_list("object_type", "object_id")
    )
    assert ("people.participant", str(survivor.pk)) in deleted
    assert ("people.child", str(child.pk)) in deleted
    for pk in adults:
        assert ("people.childadult", str(pk)) in deleted
    assert not Child.objects.filter(pk=child.pk).exists()


def test_bulk_deletes_are_audited(admin_client, make_participant) -> None:
    women = [make_participant(), make_participant()]
    response = admin_client.post(
        reverse("admin:people_participant_changelist"),
        {"action": "delete_selected", "_selected_action": [w.pk for w in women], "post": "yes"},
    )
    assert response.status_code == 302
    for woman in women:
        assert AuditEntry.objects.filter(
            action="delete", object_type="people.participant", object_id=str(woman.pk)
        ).exists()


def test_memberships_changed_in_the_admin_are_audited(admin_client, make_user, almaty) -> None:
    user = make_user("helper")
    response = admin_client.post(
        reverse("admin:centres_membership_add"),
        {"user": user.pk, "centre": almaty.pk, "role": Role.COORDINATOR},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert _entries("create", membership)
    response = admin_client.post(
        reverse("admin:centres_membership_change", args=[membership.pk]),
        {"user": user.pk, "centre": almaty.pk, "role": Role.TRAINER},
    )
    assert response.status_code == 302
    assert _entries("update", membership)[0].fields == ["role"]


def test_every_admin_is_audited_or_read_only(rf, root) -> None:
    """The next model registered in the admin is caught here if its changes go unaudited."""
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/admin/")
    request.user = root
    request.session = SessionStore()
    unaudited = []
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, AuditedModelAdmin):
            continue
        if (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        ):
            unaudited.append(model._meta.label)
    assert not unaudited, unaudited
