"""The providers' webhooks, at the site root (API.md "Messages"); see notify/webhooks.py."""

from django.urls import URLPattern, path

from mamapro.notify import webhooks

urlpatterns: list[URLPattern] = [
    path("hooks/sms/mobizon", webhooks.sms_mobizon, name="notify_hook_sms"),
    path("hooks/whatsapp", webhooks.whatsapp, name="notify_hook_whatsapp"),
    path("hooks/telegram", webhooks.telegram, name="notify_hook_telegram"),
]
