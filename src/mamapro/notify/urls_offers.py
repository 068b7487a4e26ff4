"""URL patterns: see notify/urls.py. Her offer link (a public page, no login)."""

from django.urls import URLPattern, path

from mamapro.notify import views_offers

urlpatterns: list[URLPattern] = [
    path("offers/<str:token>", views_offers.offer, name="notify_offer"),
]
