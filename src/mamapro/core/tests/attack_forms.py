"""The attack suite's HTML reader: every form of a page (with what a browser would send, and
what an attacker could send instead) and every `<select>`'s option labels.

Plain `html.parser`, so it reads pages exactly as they are served (no script runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str  # text, hidden, radio, checkbox, select, textarea, number, date, file, …
    value: str = ""
    checked: bool = False
    # For a select: (value, label, selected); for a radio group: one Field per button.
    options: list[tuple[str, str, bool]] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)
    # An htmx request (hx-get/hx-post): sent with the headers htmx adds, answered by a partial.
    hx_target: str | None = None

    def groups(self) -> dict[str, list[Field]]:
        out: dict[str, list[Field]] = {}
        for f in self.fields:
            out.setdefault(f.name, []).append(f)
        return out


@dataclass
class Option:
    select: str
    value: str
    label: str


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.options: list[Option] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: list[str] | None = None
        self._option_attrs: dict[str, str] = {}
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            hx = _hx(a)
            if hx is not None:
                self.forms.append(Form(hx[0], hx[1], self._form.fields, hx_target=hx[2]))
        elif tag == "input" and "name" in a:
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset"}:
                return
            input_field = Field(a["name"], kind, a.get("value", ""), "checked" in a)
            self._add(input_field)
            hx = _hx(a)
            if hx is not None:
                self.forms.append(Form(hx[0], hx[1], [input_field], hx_target=hx[2]))
        elif tag == "select":
            self._select = Field(a.get("name", ""), "select")
            self._add(self._select)
        elif tag == "option":
            self._option, self._option_attrs = [], a
        elif tag == "textarea" and "name" in a:
            self._textarea = Field(a["name"], "textarea")
            self._add(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option.append(data)
        elif self._textarea is not None:
            self._textarea.value += data

    def _close_option(self) -> None:
        assert self._option is not None
        label = " ".join("".join(self._option).split())
        value = self._option_attrs.get("value", label)
        if self._select is not None:
            self._select.options.append((value, label, "selected" in self._option_attrs))
            self.options.append(Option(self._select.name, value, label))
        self._option = None

    def _add(self, f: Field) -> None:
        if self._form is not None and f.name:
            self._form.fields.append(f)


def _hx(attrs: dict[str, str]) -> tuple[str, str, str] | None:
    """(url, method, target id) of an element that sends an htmx request."""
    for method in ("get", "post"):
        url = attrs.get(f"hx-{method}")
        if url:
            return url, method, attrs.get("hx-target", "").lstrip("#")
    return None


def read(page: str) -> _Reader:
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return reader


# What an attacker types instead of what the form offers: too long, invisible characters,
# numbers past 2^63, impossible dates, ids that do not exist.
JUNK = {
    "number": "99999999999999999999",
    "date": "2026-02-31",
    "time": "25:61",
    "datetime-local": "0001-01-01T00:00",
    "email": "not-an-address",
    "tel": "+7 000",
    "select": "999999999",
    "radio": "no-such-choice",
    "checkbox": "on",
}
JUNK_TEXT = "\u202e<b>x" + "я" * 300


def submissions(form: Form) -> dict[str, dict[str, list[str]]]:
    """What a browser sends as the page stands, with the first and the last choice of each
    radio group and select, and with junk in every field (disabled fields included: a
    browser leaves them out, an attacker does not)."""
    shown: dict[str, list[str]] = {}
    first: dict[str, list[str]] = {}
    last: dict[str, list[str]] = {}
    junk: dict[str, list[str]] = {}
    for name, group in form.groups().items():
        kind = group[0].kind
        if kind == "file":
            continue
        if kind == "hidden":
            values = [f.value for f in group]
            shown[name] = first[name] = last[name] = junk[name] = values
            continue
        if kind == "select":
            options = [o for f in group for o in f.options]
            selected = [v for v, _label, chosen in options if chosen]
            values = [v for v, _label, _chosen in options if v]
            shown[name] = selected or values[:1]
            first[name] = values[:1]
            last[name] = values[-1:]
        elif kind in {"radio", "checkbox"}:
            values = [f.value or "on" for f in group]
            shown[name] = [f.value or "on" for f in group if f.checked]
            first[name] = values[:1]
            last[name] = values[-1:]
        else:
            shown[name] = first[name] = last[name] = [group[0].value]
        junk[name] = [JUNK.get(kind, JUNK_TEXT)]
    out = {"as shown": shown, "first choices": first, "last choices": last, "junk": junk}
    if first == shown:
        del out["first choices"]
    if last == shown:
        del out["last choices"]
    return out
