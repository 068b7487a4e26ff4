"""URL patterns: see notify/urls.py. The template editor, under the staff messages pages."""

from django.urls import URLPattern, path

from mamapro.notify import views_templates as views

urlpatterns: list[URLPattern] = [
    path("staff/messages/templates/", views.template_list, name="notify_template_list"),
    path(
        "staff/messages/templates/<slug:kind>/<slug:variant>/<slug:language>/",
        views.template_edit,
        name="notify_template_edit",
    ),
    path(
        "staff/messages/templates/<slug:kind>/<slug:variant>/<slug:language>/preview/",
        views.template_preview,
        name="notify_template_preview",
    ),
]
