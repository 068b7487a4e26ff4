"""URL patterns: see notify/urls.py."""

from django.urls import path

from mamapro.notify import views_telegram

urlpatterns = [
    path(
        "staff/messages/participants/<int:pk>/telegram-link/",
        views_telegram.telegram_link,
        name="notify_telegram_link",
    ),
]
