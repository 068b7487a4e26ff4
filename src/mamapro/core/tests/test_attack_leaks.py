"""Attack suite, part two: the paths the permission table does not look at.

The table (test_permissions.py) opens each URL once, about the first survivor. Here every row
is opened again about the aliased survivor (conftest.ALIASED_SURVIVOR: rosters show "Гүлнар";
her real name, phone, hidden address and her daughter's restricted father are markers), then
every form of every page is posted back as a browser would and as an attacker would (junk in
each field, first and last choice of each select), every redirect is followed to the page that
shows its message, every `<select>` option label is read, and her exports (JSON, PDF, CSV) are
read back, as every persona the view lets in (a role its rule refuses never reaches an object:
the table searches those refusals). A persona outside a marker's list must never receive it.

The counts (personas × responses × markers) go to test-artifacts/attack-counts.json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from mamapro.conftest import PERSONAS
from mamapro.core.tests import attack_counts, attack_forms
from mamapro.core.tests.attack_counts import COUNTS
from mamapro.core.tests.test_permissions import (
    API,
    ROWS,
    WEB,
    build_world,
    leaks,
    pointed_at_her,
    response_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield pointed_at_her(build_world())
        transaction.set_rollback(True)
    attack_counts.write("leaks")


def client_for(persona: str, world: dict[str, Any]) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    if persona != "anonymous":
        client.force_login(world["personas"][persona])
    return client


class Findings:
    """Every leak of a test, gathered before failing, so one run lists them all."""

    def __init__(self, persona: str) -> None:
        self.persona = persona
        self.found: list[str] = []

    def search(self, kind: str, response: Any, where: str, *, ignore: Collection[str] = ()) -> str:
        COUNTS[f"leaks:{kind}"] += 1
        text = response_text(response)
        # A redirect's target travels in the browser's history and the server's logs.
        chain = " ".join(url for url, _status in getattr(response, "redirect_chain", []))
        found = [
            m
            for m in leaks(self.persona, f"{text} {chain}")
            if not any(m.startswith(what) for what in ignore)
        ]
        if found:
            self.found.append(f"{where} [{response.status_code}]: {', '.join(found)}")
        return text

    def check(self) -> None:
        assert not self.found, f"{self.persona} received:\n  " + "\n  ".join(self.found)


def _web_url(name: str, world: dict[str, Any]) -> str:
    row = WEB[name]
    return reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)


def _api_url(method: str, path: str, world: dict[str, Any]) -> str:
    ids: dict[str, Any] = {}
    for rows in ROWS:
        if rows.path_ids is not None:
            ids.update(rows.path_ids(world))
    return "/api/v1" + path.format(**ids)


# A role refused by the view's rule (403 in the table) is refused before any object is read:
# the table already searches that answer. Anonymous visitors are sent to log in (the table
# searches that too), and an account with no role is refused everywhere.
def _reads(expected: dict[str, int]) -> list[str]:
    return [p for p in PERSONAS if p != "norole" and expected[p] != 403]


WEB_CASES = [(name, persona) for name in sorted(WEB) for persona in _reads(WEB[name].expected)]
API_CASES = [
    (method, path, persona)
    for (method, path) in sorted(API)
    for persona in _reads(API[(method, path)].expected)
]
MAX_FORMS = 25
TRIED_FORMS: set[tuple[Any, ...]] = set()


@pytest.mark.parametrize(("name", "persona"), WEB_CASES)
def test_every_page_about_her(world, name: str, persona: str) -> None:
    """Each row's URL and data name her objects, and the page a redirect lands on (with its
    message) is read too. On a page: each `<select>` option label is read on its own (a
    select lists people by the label its form chose: finding 2 was such a list), then every
    form is posted back as a browser sends it, with the first and the last choice of each
    select and radio group, and with junk in every field: the answer (an error, a refusal,
    the page a redirect lands on) never carries what the persona may not see."""
    row = WEB[name]
    client = client_for(persona, world)
    url = _web_url(name, world)
    response = getattr(client, row.method)(url, row.data(world) if row.data else {}, follow=True)
    findings = Findings(persona)
    text = findings.search("pages about her", response, f"{row.method.upper()} {url}")
    if row.method == "post":
        # The row's own post with nothing in it, and with junk in each of its fields.
        fields = row.data(world) if row.data else {}
        variants: dict[str, dict[str, Any]] = {"empty": {}}
        if fields:
            variants["junk"] = {key: attack_forms.JUNK_TEXT for key in fields}
        for variant, data in variants.items():
            answer = client.post(url, data, follow=True)
            findings.search("posts with bad data", answer, f"POST {url} ({variant})")
    if row.method == "get" and "html" in response.get("Content-Type", ""):
        page = attack_forms.read(text)
        for option in page.options:
            COUNTS["leaks:select options"] += 1
            bad = leaks(persona, option.label)
            if bad:
                findings.found.append(
                    f"{url} <select name={option.select}> option {option.label!r}: "
                    + ", ".join(bad)
                )
        _post_back(client, url, page.forms[:MAX_FORMS], findings)
    findings.check()


def _post_back(
    client: Client, url: str, forms: list[attack_forms.Form], findings: Findings
) -> None:
    for form in forms:
        target = form.action or url
        if target.startswith("http") or target.startswith("/admin/"):
            continue
        # The same form on many pages (the menu's centre and language switches) is posted
        # from one page only, or the suite would take minutes.
        key = (findings.persona, form.method, target, form.hx_target, tuple(sorted(form.groups())))
        if key in TRIED_FORMS:
            continue
        TRIED_FORMS.add(key)
        headers = (
            {} if form.hx_target is None else {"HX-Request": "true", "HX-Target": form.hx_target}
        )
        for variant, data in attack_forms.submissions(form).items():
            send = client.post if form.method == "post" else client.get
            response = send(target, data, follow=True, headers=headers)
            findings.search("forms posted back", response, f"{form.method} {target} ({variant})")


def _api_body(method: str, path: str, world: dict[str, Any]) -> Any:
    row = API[(method, path)]
    return row.body(world) if row.body else None


@pytest.mark.parametrize(("method", "path", "persona"), API_CASES)
def test_every_api_answer_about_her(world, method: str, path: str, persona: str) -> None:
    """Each operation about her objects, with its body as written and with every value of
    the wrong type (the 422 names the field, it does not echo her)."""
    from mamapro.core.models import ApiToken

    client = client_for("anonymous", world)
    _token, raw = ApiToken.issue(world["personas"][persona])
    headers = {"Accept-Language": "en", "Authorization": f"Bearer {raw}"}
    url = _api_url(method, path, world)
    body = _api_body(method, path, world)
    findings = Findings(persona)
    variants: dict[str, Any] = {"as written": body}
    if body is not None:
        variants["wrong types"] = _wrong_types(body)
    for variant, data in variants.items():
        response = client.generic(
            method,
            url,
            data=None if data is None else json.dumps(data),
            content_type="application/json",
            headers=headers,
        )
        findings.search("API answers about her", response, f"{method} {url} ({variant})")
    findings.check()


def _wrong_types(body: Any) -> Any:
    """Every value of the body of the wrong type: the 422 must name the field, not echo her."""
    if isinstance(body, list):
        return [_wrong_types(item) for item in body]
    if isinstance(body, dict):
        return {
            key: ("x" if isinstance(value, int | float | bool) else 2**64)
            for key, value in body.items()
        }
    return body


# --- Her exports ----------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) reads the PDF back")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(  # noqa: S603
            [tool, "-layout", str(path), "-"], check=True, capture_output=True, text=True
        )
    return out.stdout


class _Text:
    """A response whose body is the text read out of a PDF."""

    def __init__(self, response: Any, text: str) -> None:
        self.status_code = response.status_code
        self.streaming = False
        self.content = text.encode()
        self.redirect_chain: list[Any] = []

    def get(self, key: str, default: str = "") -> str:
        return "text/plain" if key == "Content-Type" else default


EXPORTS = [
    ("people:participant_export", {"format": "json"}),
    ("people:participant_export", {}),
    ("people:participant_export", {"format": "json", "address": "include"}),
    ("people:participant_export", {"address": "include"}),
    ("audit_export", {}),
    ("programs:certificate_pdf", {}),
]


EXPORT_CASES = [
    (name, query, persona) for name, query in EXPORTS for persona in _reads(WEB[name].expected)
]


@pytest.mark.parametrize(("name", "query", "persona"), EXPORT_CASES, ids=str)
def test_her_exports(world, name: str, query: dict[str, str], persona: str) -> None:
    """Her file as JSON and PDF, the audit log as CSV, a certificate: read back as text. Only
    a director who asks for it explicitly gets her hidden address in her own file."""
    client = client_for(persona, world)
    url = _web_url(name, world)
    response: Any = client.get(url, query)
    findings = Findings(persona)
    if response.status_code == 200 and response.get("Content-Type", "").startswith(
        "application/pdf"
    ):
        response = _Text(response, pdf_text(response.content))
    ignore = (
        {"her hidden address"}
        if persona == "director" and query.get("address") == "include"
        else set()
    )
    findings.search("exports", response, f"GET {url}?{query}", ignore=ignore)
    findings.check()
