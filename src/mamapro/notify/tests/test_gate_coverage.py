"""No code path sends around the gate.

1. Statically: across `src/mamapro` (the adapters and fake providers themselves aside), an
   adapter's `send(...)` is called from exactly two functions — `notify/sender.py`
   `_send_one` (every outbox row, after the second gate pass) and `notify/telegram_links.py`
   `reply_in_chat` (the bot's answer to a woman who wrote to it a second ago, while linking;
   documented there) — and an `Outgoing` is built nowhere else than in those two modules.
2. Behaviourally: a row written straight into the table, skipping `outbox.queue`, for a
   woman the gate refuses, is cancelled by the worker and never reaches the provider.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from mamapro.notify import sender
from mamapro.notify.models import Delivery
from mamapro.notify.tests import outbox_world
from mamapro.notify.tests.outbox_world import NOON, fresh
from mamapro.people import safe_contact
from mamapro.people.models import Participant

SRC = Path(__file__).resolve().parents[2]  # src/mamapro
ALLOWED_SENDS = {
    ("notify/sender.py", "_send_one"),
    ("notify/telegram_links.py", "reply_in_chat"),
}
OUTGOING_MODULES = {"notify/sender.py", "notify/telegram_links.py"}
ADAPTER_NAMES = {"adapter", "MobizonSMS", "WhatsAppCloud", "TelegramBot", "SMTPEmail"}
SKIPPED_DIRS = ("notify/channels/", "notify/fakes/")


def _is_outgoing(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name | ast.Attribute)
        and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "Outgoing"
    )


def _looks_like_adapter(node: ast.AST) -> bool:
    text = ast.unparse(node)
    if "adapter" in text.lower():
        return True
    return isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in ADAPTER_NAMES


def adapter_sends(source: str) -> list[tuple[str, int]]:
    """(enclosing function, line) of every call that hands a message to an adapter."""
    tree = ast.parse(source)
    found: list[tuple[str, int]] = []

    def walk(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "send"
                and (
                    _looks_like_adapter(child.func.value)
                    or any(_is_outgoing(arg) for arg in child.args)
                )
            ):
                found.append((function, child.lineno))
            walk(child, name)

    walk(tree, "<module>")
    return found


def builds_outgoing(source: str) -> bool:
    return any(_is_outgoing(node) for node in ast.walk(ast.parse(source)))


def _modules() -> list[tuple[str, str]]:
    files = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if "/tests/" in rel or "/migrations/" in rel or rel.startswith(SKIPPED_DIRS):
            continue
        files.append((rel, path.read_text(encoding="utf-8")))
    return files


def test_the_checker_catches_a_send_around_the_gate() -> None:
    planted = (
        "from mamapro.notify.channels import adapter\n"
        "def shortcut(p):\n"
        "    adapter('sms').send(Outgoing(1, 'k', p.phone, 'hi', 'kk'))\n"
        "def other(a, msg):\n"
        "    a.send(Outgoing(1, 'k', '+77010000000', 'hi', 'kk'))\n"
        "def signal_is_fine(alert):\n"
        "    restricted_adult_named.send(sender=None, alert=alert)\n"
    )
    assert [f for f, _line in adapter_sends(planted)] == ["shortcut", "other"]
    assert builds_outgoing(planted)


def test_only_the_worker_and_the_telegram_reply_call_an_adapters_send() -> None:
    calls = {(rel, function) for rel, source in _modules() for function, _ in adapter_sends(source)}
    assert calls <= ALLOWED_SENDS, sorted(calls - ALLOWED_SENDS)
    assert ("notify/sender.py", "_send_one") in calls


def test_only_those_modules_build_a_message_for_a_provider() -> None:
    builders = {rel for rel, source in _modules() if builds_outgoing(source)}
    assert builders <= OUTGOING_MODULES, sorted(builders - OUTGOING_MODULES)


sms = outbox_world.sms
woman = outbox_world.woman


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"no_contact": True}, safe_contact.NO_CONTACT),
        ({"contact_channels": ["email"]}, safe_contact.CHANNEL_NOT_SAFE),
    ],
)
def test_a_row_written_around_queue_is_still_refused_by_the_worker(
    woman: Any, sms: Any, change: dict[str, Any], reason: str
) -> None:
    her = woman()
    Participant.objects.filter(pk=her.pk).update(**change)
    row = Delivery.objects.create(
        centre=her.centre,
        participant=her,
        kind="confirmed",
        channel="sms",
        language="kk",
        idempotency_key="planted",
        send_after=NOON,
    )
    assert sender.send_due(now=NOON) == 0
    assert (fresh(row).status, fresh(row).reason) == ("cancelled", reason)
    assert sms.requests == []
