"""Nothing on a public page comes from, or leads to, another origin but the quick exit.

A font, a CDN script or an analytics pixel would tell a third party (and anyone reading its
logs) that this browser visited a centre for women in difficult situations. Every public page
is parsed, in each of its states, and every URL it names is checked. Inline scripts, event
handler attributes and inline styles are refused too: a strict Content-Security-Policy is
coming and must not need exceptions.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from mamapro.core.permissions import PUBLIC
from mamapro.programs.models import TopicRequest
from mamapro.public import safety
from mamapro.public.services import topics

pytestmark = pytest.mark.django_db

URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "background"}


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, dict[str, str | None]]] = []
        self.problems: list[str] = []
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> (inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style=…> (inline style)")
            if name in URL_ATTRIBUTES and value:
                for part in value.split(","):
                    self.urls.append((tag, part.strip().split(" ")[0], named))
        if tag == "style":
            self.problems.append("<style> block")
        if tag == "script" and not named.get("src"):
            self._in_script_without_src = True
        if tag == "meta" and (named.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.problems.append("inline <script>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False


def _foreign(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"", "http", "https"} and not parts.netloc:
        return False  # a path on this site
    return not (parts.scheme in {"http", "https"} and parts.netloc == "testserver")


def _check(html: str, where: str) -> int:
    audit = PageAudit()
    audit.feed(html)
    assert not audit.problems, f"{where}: {audit.problems}"
    exits = 0
    for tag, url, attrs in audit.urls:
        if url == safety.QUICK_EXIT_URL:
            assert tag == "a", where
            assert attrs.get("id") == "quick-exit", f"{where}: the neutral site only as the exit"
            assert "noreferrer" in (attrs.get("rel") or "").split(), where
            exits += 1
            continue
        assert not _foreign(url), f"{where}: <{tag}> names another origin: {url}"
    assert exits == 1, f"{where}: {exits} quick-exit links"
    return exits


@pytest.fixture
def pages(run, make_participant, almaty) -> dict[str, list[str]]:
    """Every public URL name → the URLs of its pages in their different states."""
    topic = TopicRequest.objects.create(centre=almaty, title="Как открыть ИП")
    topics.propose_topic(almaty, title="Налоги", details="", phone="+77770001122")
    return {
        "public:catalogue": ["/", f"/?centre={almaty.pk}"],
        "public:run_detail": [reverse("public:run_detail", args=[run.pk])],
        "public:apply": [reverse("public:apply", args=[run.pk])],
        "public:applied": [reverse("public:applied", args=[run.pk])],
        "public:topics": [reverse("public:topics"), reverse("public:topics") + "?done=vote"],
        "public:topic_propose": [reverse("public:topic_propose")],
        "public:topic_vote": [reverse("public:topic_vote", args=[topic.pk])],
        "public:safety": [reverse("public:safety")],
    }


def _public_url_names() -> set[str]:
    names = set()
    for included in get_resolver().url_patterns:
        if not isinstance(included, URLResolver) or included.namespace != "public":
            continue
        for entry in included.url_patterns:
            if not isinstance(entry, URLPattern):
                continue
            if getattr(entry.callback, "mamapro_rule", None) == PUBLIC:
                names.add(f"public:{entry.name}")
    return names


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_public_page_stays_on_this_site(client: Client, pages, run, language) -> None:
    assert set(pages) == _public_url_names(), "a new public page needs a place in this test"
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    for urls in pages.values():
        for url in urls:
            response = client.get(url, **headers)
            assert response.status_code == 200, url
            _check(response.content.decode(), url)
    # The pages as they look with errors, and the public "not found".
    bad = client.post(reverse("public:apply", args=[run.pk]), {"phone": "1"}, **headers)
    assert bad.status_code == 200
    _check(bad.content.decode(), "apply with errors")
    bad = client.post(reverse("public:topic_propose"), {"phone": "1"}, **headers)
    _check(bad.content.decode(), "propose with errors")
    missing = client.get(reverse("public:run_detail", args=[run.pk + 1000]), **headers)
    assert missing.status_code == 404
    _check(missing.content.decode(), "not found")


def test_the_static_files_name_no_other_origin() -> None:
    for name in ("public/public.css", "public/quick-exit.js"):
        path = finders.find(name)
        assert path, name
        text = Path(str(path)).read_text()
        assert "@import" not in text, name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), name
        assert not re.search(r"https?://", text), f"{name} names an absolute URL"


def test_the_quick_exit_link_works_without_javascript(client: Client) -> None:
    html = client.get("/").content.decode()
    link = re.search(r'<a id="quick-exit"[^>]*>', html)
    assert link is not None
    assert f'href="{safety.QUICK_EXIT_URL}"' in link.group(0)
    assert 'rel="noreferrer"' in link.group(0)
    assert re.search(r'<script src="/static/public/quick-exit\.js" defer>', html)
