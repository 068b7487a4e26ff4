"""The notify app's pages. Each area keeps its own list (so they can grow apart):
webhooks at the site root (`/hooks/...`), the woman's offer link (`/offers/<token>`), and the
staff pages under `/staff/messages/`."""

from django.urls import include, path

urlpatterns = [
    path("", include("mamapro.notify.urls_hooks")),
    path("", include("mamapro.notify.urls_offers")),
    path("", include("mamapro.notify.urls_staff")),
    path("", include("mamapro.notify.urls_telegram")),
    path("", include("mamapro.notify.urls_templates")),
]
