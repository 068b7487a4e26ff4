"""Typed text that may be a person never reaches the log as text; anonymous events cannot flood
the chain (finding 17)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from mamapro.core import audit
from mamapro.core.models import AnonymousAuditWindow, AuditEntry

pytestmark = pytest.mark.django_db

TYPED = "Әсел Қасымова"


def _all_audit_text() -> str:
    """Every column of every entry as stored, raw (JSON may escape non-ASCII letters)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_auditentry")
        return repr(cursor.fetchall())


def _traces(text: str) -> list[str]:
    words = [w for w in text.split() if len(w) >= 4]  # short digit runs occur in any hash
    forms = {text, text.casefold(), text.upper(), *words, *(w.casefold() for w in words)}
    return sorted(forms | {json.dumps(f)[1:-1] for f in forms})


def _no_trace(text: str) -> None:
    stored = _all_audit_text()
    assert [t for t in _traces(text) if t in stored] == []


def test_a_failed_log_in_keeps_no_trace_of_what_was_typed(client, personas) -> None:
    response = client.post(
        reverse("login"), {"username": TYPED, "password": "wrong"}, REMOTE_ADDR="10.0.0.8"
    )
    assert response.status_code == 200
    failed = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert set(failed.details) == {"username_digest"}
    assert failed.details["username_digest"] == audit.digest("  әсел   ҚАСЫМОВА ")
    _no_trace(TYPED)


def test_the_director_finds_failed_log_ins_typed_with_a_log_in(client, personas) -> None:
    client.post(reverse("login"), {"username": "Coordinator", "password": "wrong"})
    client.post(reverse("login"), {"username": "someone-else", "password": "wrong"})
    client.force_login(personas["director"])
    page = client.get(reverse("audit_log"), {"staff": "coordinator", "action": "login_failed"})
    assert len(page.context["entries"]) == 1
    _no_trace("someone-else")


def test_the_directors_search_terms_are_kept_as_digests(client, personas, survivor) -> None:
    client.force_login(personas["director"])
    for params in [{"person": TYPED}, {"person": "+7 701 555 12 34", "staff": "Қасымова"}]:
        client.get(reverse("audit_log"), params)
        client.get(reverse("audit_export"), params)
    viewed = AuditEntry.objects.filter(details__has_key="audit_log").order_by("seq")
    assert [set(e.details) for e in viewed][:2] == [{"audit_log", "person_digest"}] * 2
    assert viewed[0].details["person_digest"] == audit.digest(TYPED)
    _no_trace(TYPED)
    _no_trace("+7 701 555 12 34")
    assert "7015551234" not in _all_audit_text()


LIMIT = audit.ANONYMOUS_PER_MINUTE


def _anonymous(n: int, ip: str) -> None:
    with audit.acting_as(None, ip=ip, via="web"):
        for i in range(n):
            audit.record(AuditEntry.Action.LOGIN_FAILED, details={"i": i})


def test_anonymous_events_beyond_the_limit_are_counted_not_chained(personas) -> None:
    sent = 3 * LIMIT
    _anonymous(sent, "203.0.113.7")
    chained = AuditEntry.objects.filter(ip="203.0.113.7").count()
    windows = list(AnonymousAuditWindow.objects.filter(ip="203.0.113.7"))
    # The loop may straddle one minute's end, never two: at most two windows' worth chained.
    assert LIMIT <= chained <= 2 * LIMIT
    assert sum(w.logged for w in windows) == chained
    assert sum(w.coalesced for w in windows) == sent - chained
    # Another address, and anyone signed in at this one, are not held back.
    _anonymous(1, "203.0.113.8")
    with audit.acting_as(personas["coordinator"], ip="203.0.113.7", via="web"):
        audit.record(AuditEntry.Action.LOGIN, personas["coordinator"])
    assert AuditEntry.objects.filter(ip="203.0.113.8").count() == 1
    assert AuditEntry.objects.filter(actor=personas["coordinator"]).count() == 1
    # Once the minute is over, one summary per address and minute tells how many were counted.
    summaries = audit.summarize_anonymous(timezone.now() + dt.timedelta(minutes=2))
    assert sum(s.details["anonymous_events_counted"] for s in summaries) == sent - chained
    assert {s.ip for s in summaries} == {"203.0.113.7"}
    assert summaries[-1].details["actions"] == {
        "login_failed": summaries[-1].details["anonymous_events_counted"]
    }
    assert not AnonymousAuditWindow.objects.exists()
    assert audit.verify_chain().ok


def test_the_limit_counts_an_ipv6_network_as_one_address() -> None:
    for host in range(LIMIT + 5):
        _anonymous(1, f"2001:db8:0:7::{host + 1:x}")
    assert AuditEntry.objects.count() <= LIMIT + 5
    assert AnonymousAuditWindow.objects.filter(ip="2001:db8:0:7::").exists()
    assert audit.address_bucket("2001:db8:0:7:aaaa::1") == "2001:db8:0:7::"
    assert audit.address_bucket("10.1.2.3") == "10.1.2.3"
    assert audit.address_bucket("unknown") == "::"


def test_a_failed_log_in_flood_through_the_page_is_coalesced(client) -> None:
    sent = 3 * LIMIT
    for i in range(sent):
        client.post(
            reverse("login"), {"username": f"guess{i}", "password": "x"}, REMOTE_ADDR="198.51.100.4"
        )
    chained = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).count()
    assert LIMIT <= chained <= 2 * LIMIT
    counted = sum(w.coalesced for w in AnonymousAuditWindow.objects.all())
    assert counted == sent - chained


def test_finished_minutes_are_summarised_by_the_next_append_as_nobodys_doing(
    personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    minute = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=3)
    AnonymousAuditWindow.objects.create(
        ip="192.0.2.9", window=minute, logged=LIMIT, coalesced=7, actions={"create": 7}
    )
    AnonymousAuditWindow.objects.create(ip="192.0.2.10", window=minute, logged=2)
    monkeypatch.setattr(audit, "_next_sweep", 0.0)  # this process has not swept yet
    with audit.acting_as(personas["coordinator"], ip="10.0.0.2", via="web"):
        entry = audit.record(AuditEntry.Action.UPDATE, personas["coordinator"])
    assert entry is not None
    assert entry.actor == personas["coordinator"]
    summary = AuditEntry.objects.get(action=AuditEntry.Action.SYSTEM)
    assert (summary.actor, summary.ip, summary.seq) == (None, "192.0.2.9", entry.seq - 1)
    assert summary.details["anonymous_events_counted"] == 7
    assert summary.details["actions"] == {"create": 7}
    assert not AnonymousAuditWindow.objects.exists()
    assert audit.verify_chain().ok
