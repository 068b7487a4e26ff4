"""The attack suite's own eyes: a marker found however it travels (JSON escapes, character
references, a phone written any usual way), and forms read as a browser would send them. If
these fail, the suite is blind, whatever the other attack tests say."""

from __future__ import annotations

import json

from django.http import HttpResponse, JsonResponse

from mamapro.core.tests import attack_forms
from mamapro.core.tests.test_permissions import leaks, response_text


def test_a_name_in_escaped_json_is_found() -> None:
    # Django Ninja writes JSON with ensure_ascii: "Жанторина" travels as \u0416\u0430…
    body = json.dumps({"family_name": "Жанторина"})
    assert "Жанторина" not in body
    response = HttpResponse(body, content_type="application/json")
    assert "her real family name" in " ".join(leaks("trainer", response_text(response)))
    assert leaks("coordinator", response_text(JsonResponse({"family_name": "Жанторина"}))) == []


def test_a_name_in_character_references_is_found() -> None:
    response = HttpResponse(
        "<p>&#1046;&#1072;&#1085;&#1090;&#1086;&#1088;&#1080;&#1085;&#1072;</p>"
    )
    assert leaks("tutor", response_text(response))


def test_her_phone_however_it_is_written() -> None:
    for written in ("+77089412763", "+7 708 941-27-63", "8 (708) 941 27 63", "7089412763"):
        assert any(f.startswith("her phone") for f in leaks("trainer", written)), written
        assert not any(f.startswith("her phone") for f in leaks("manager", written)), written
    assert any(f.startswith("the last digits") for f in leaks("psychologist", "Гүлнар · …2763"))
    for other in ("+77015550100", "2763 seats", "+7 708 941 27 64"):
        assert not leaks("trainer", other), other


def test_the_hidden_address_is_for_nobody() -> None:
    for persona in ("director", "coordinator", "manager", "tutor"):
        assert leaks(persona, "Алматы, ул. Жетісу 41, кв. 9"), persona


def test_a_tutor_may_read_a_first_name_and_initial_only() -> None:
    assert not leaks("tutor", "Не отдавать: Ерлан Қ. (отец), Талғат Д. (отец)")
    assert leaks("tutor", "Талғат Дәулетбаев")
    assert leaks("tutor", "Ерлан Қасымов")
    assert leaks("trainer", "Ерлан")


PAGE = """
<form method="post" action="/x/">
  <input type="hidden" name="csrfmiddlewaretoken" value="t">
  <input name="title" value="Курс">
  <input type="number" name="seats" value="3">
  <select name="participant"><option value="">—</option><option value="7" selected>Гүлнар</option>
    <option value="9">Жанторина Сандуғаш · …2763</option></select>
  <input type="radio" name="mark-7" value="present" checked>
  <input type="radio" name="mark-7" value="absent" disabled>
  <input type="checkbox" name="waitlist" value="1">
  <textarea name="note">Сәлем</textarea>
  <button type="submit" name="go">Go</button>
</form>
<form method="get"><input name="q" hx-get="/find/" hx-target="#results"></form>
"""


def test_forms_and_options_are_read_as_a_browser_sends_them() -> None:
    page = attack_forms.read(PAGE)
    assert [o.label for o in page.options] == ["—", "Гүлнар", "Жанторина Сандуғаш · …2763"]
    assert leaks("psychologist", page.options[2].label)
    post, get, hx = page.forms
    assert (post.action, post.method, get.method) == ("/x/", "post", "get")
    assert (hx.action, hx.method, hx.hx_target, hx.fields) == (
        "/find/",
        "get",
        "results",
        get.fields,
    )
    sent = attack_forms.submissions(post)
    assert sent["as shown"] == {
        "csrfmiddlewaretoken": ["t"],
        "title": ["Курс"],
        "seats": ["3"],
        "participant": ["7"],
        "mark-7": ["present"],
        "waitlist": [],
        "note": ["Сәлем"],
    }
    # A disabled choice is sent too: a browser leaves it out, an attacker does not.
    assert sent["last choices"]["mark-7"] == ["absent"]
    assert sent["last choices"]["participant"] == ["9"]
    assert sent["junk"]["seats"] == ["99999999999999999999"]
    assert sent["junk"]["csrfmiddlewaretoken"] == ["t"]
    assert "go" not in sent["as shown"]
