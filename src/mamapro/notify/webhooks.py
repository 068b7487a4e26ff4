"""The providers' webhooks: Mobizon's delivery reports, WhatsApp's statuses (and its GET
verification), Telegram's updates. At the site root, no login and no CSRF token: the
provider's signature is the only credential, checked by the channel's adapter.

A wrong or missing signature → 403 and nothing changes; a channel without its settings →
404 (there is no secret to check against); a body over `MAX_BODY` → 413. A verified call's
status updates and inbound messages are applied in one transaction; an unknown message id is
ignored (200, or the provider would retry for hours). If the provider has to be asked to
confirm a report and cannot be reached, 503 makes it retry later. The body is never logged:
it holds phone numbers and message texts.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from mamapro.core.permissions import PUBLIC, rule
from mamapro.notify import inbound, outbox
from mamapro.notify.channels import adapter
from mamapro.notify.channels.base import BadSignature, NotConfigured, TransientError

log = logging.getLogger(__name__)

# A delivery report or an update is a few hundred bytes; WhatsApp batches a few dozen.
MAX_BODY = 64 * 1024


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def receive(request: HttpRequest, channel: str, methods: tuple[str, ...]) -> HttpResponse:
    if request.method not in methods:
        return HttpResponseNotAllowed(methods)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY or len(request.body) > MAX_BODY:
        return _plain("too large", 413)
    channel_adapter = adapter(channel)
    if not channel_adapter.configured():
        return _plain("not configured", 404)
    try:
        result = channel_adapter.parse_webhook(request)
    except NotConfigured:
        return _plain("not configured", 404)
    except BadSignature:
        log.warning("webhook %s: signature refused", channel)
        return _plain("bad signature", 403)
    except TransientError as exc:
        log.warning("webhook %s: could not confirm with the provider (%s)", channel, exc.code)
        return _plain("try again later", 503)
    with transaction.atomic():
        changed = outbox.apply_updates(channel, result.updates) if result.updates else 0
        acted = inbound.handle(channel, result.inbound) if result.inbound else 0
    log.info(
        "webhook %s: %d updates (%d changed), %d inbound (%d acted on)",
        channel,
        len(result.updates),
        changed,
        len(result.inbound),
        acted,
    )
    return result.response or _plain("ok", 200)


@csrf_exempt
@rule(PUBLIC)
def sms_mobizon(request: HttpRequest) -> HttpResponse:
    return receive(request, "sms", ("POST",))


@csrf_exempt
@rule(PUBLIC)
def whatsapp(request: HttpRequest) -> HttpResponse:
    return receive(request, "whatsapp", ("GET", "POST"))


@csrf_exempt
@rule(PUBLIC)
def telegram(request: HttpRequest) -> HttpResponse:
    return receive(request, "telegram", ("POST",))
